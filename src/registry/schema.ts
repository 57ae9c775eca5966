import * as z from 'zod/mini';

/** The eight declared agent contracts; the registry may only refer to these. */
export const CONTRACT_NAMES = ['scout', 'interviewer', 'executor', 'verifier', 'distiller', 'librarian', 'operator-global', 'housekeeper'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

const Id = z.string().check(z.regex(/^[a-z0-9][a-z0-9-]*$/, 'a lower-case id of letters, digits and dashes (e.g. "sandbox")'));

const Command = z.string().check(z.minLength(1, 'a non-empty shell command'));
const Count = (min: number) => z.int().check(z.gte(min));

const Checks = z.strictObject({
  test: z.optional(Command),
  lint: z.optional(Command),
  typecheck: z.optional(Command),
  timeoutSeconds: z._default(Count(1), 600),
});

const Gate = z.strictObject({
  verifier: z._default(z.enum(['agent', 'checks-only']), 'agent'),
});

const Repo = z.strictObject({
  id: Id,
  path: z.string().check(z.minLength(1, 'a path relative to the workspace, or absolute')),
  mainBranch: z._default(z.string().check(z.minLength(1)), 'main'),
  checks: z.prefault(Checks, {}),
  gate: z.prefault(Gate, {}),
});

// The `.mcp.json` shape Claude Code uses: a command to start (stdio), or `type: "http"` with a url.
const McpStdioServer = z.strictObject({
  type: z.optional(z.literal('stdio')),
  command: z.string().check(z.minLength(1)),
  args: z._default(z.array(z.string()), []),
  env: z._default(z.record(z.string(), z.string()), {}),
});
const McpHttpServer = z.strictObject({
  type: z.literal('http'),
  url: z.url({ protocol: /^https?$/, error: 'an http(s) URL' }),
  headers: z._default(z.record(z.string(), z.string()), {}),
});
const McpServer = z.union([McpHttpServer, McpStdioServer], { error: 'an MCP server: {"command", "args"?, "env"?} to start one, or {"type": "http", "url", "headers"?}' });
const McpServerName = z.string().check(z.regex(/^[A-Za-z0-9-]+(?:_[A-Za-z0-9-]+)*$/, 'a server name of letters, digits, dashes and single underscores (its tools are mcp__<name>__<tool>)'));

// Spending limits: a run's own cap, and what a brand or the whole workspace may spend per calendar day.
const Limit = z.strictObject({
  maxCostUsd: z.optional(z.number().check(z.gt(0, 'a dollar amount above 0, e.g. 2.5'))),
  maxTokens: z.optional(Count(1)),
});
const Budget = z.strictObject({
  run: z.optional(Limit),
  day: z.optional(Limit),
});
const Executor = z.enum(['sdk', 'claude-code']);

const Brand = z.strictObject({
  id: Id,
  name: z.string().check(z.minLength(1)),
  silo: z._default(z.boolean(), false),
  lanes: z.optional(Count(1)),
  repos: z._default(z.array(Repo), []),
  mcpServers: z._default(z.record(McpServerName, McpServer), {}),
  budget: z.optional(Budget),
  executor: z.optional(Executor),
});

const NonEmpty = z.string().check(z.minLength(1));
const ContractOverride = z.strictObject({
  role: z.optional(NonEmpty),
  model: z.optional(NonEmpty),
  tools: z.optional(z.array(NonEmpty)),
  writePaths: z.optional(z.array(NonEmpty)),
  maxTurns: z.optional(Count(1)),
  maxTokens: z.optional(Count(1)),
  maxWallSeconds: z.optional(Count(1)),
  executor: z.optional(Executor),
});

const ContractName = z.enum(CONTRACT_NAMES);

// A folder the sandbox setting names: absolute or under the operator's home, never the whole disk or home.
const SandboxPath = z
  .string()
  .check(z.refine((p) => (p.startsWith('/') || p.startsWith('~/')) && !/^(\/+|~\/+)$/.test(p), 'an absolute path or one starting with "~/" (not "/" or "~" itself), e.g. "~/.npm"'));
// "off" only as the plain string, so `registry.sandbox !== 'off'` means on everywhere (see src/sandbox/setting.ts).
const Sandbox = z.union([
  z.enum(['on', 'off']),
  z.strictObject({
    writable: z._default(z.array(SandboxPath), []),
    hidden: z._default(z.array(SandboxPath), []),
  }),
]);

function validTimeZone(zone: string): boolean {
  // UTC (what `init` writes) is always valid; asking Intl would load its time-zone data (~25 ms) for every command.
  if (zone === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

// zod/mini, not classic: the registry is validated by every command, and the
// classic build costs tens of milliseconds of startup that `ticket list` cannot spare.
export const RegistrySchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    brands: z.array(Brand),
    dispatch: z.prefault(
      z.strictObject({
        concurrency: z._default(Count(1), 4),
        lanesPerBrand: z._default(Count(1), 1),
      }),
      {},
    ),
    models: z.prefault(
      z.strictObject({
        provider: z._default(z.enum(['anthropic', 'scripted']), 'anthropic'),
        default: z._default(NonEmpty, 'claude-sonnet-4-5'),
        contracts: z._default(z.partialRecord(ContractName, NonEmpty), {}),
        script: z.optional(NonEmpty),
      }),
      {},
    ),
    contracts: z._default(z.partialRecord(ContractName, ContractOverride), {}),
    timezone: z._default(z.string().check(z.refine(validTimeZone, 'an IANA time zone such as "Europe/Berlin" or "UTC"')), 'UTC'),
    git: z.prefault(
      z.strictObject({
        author: z.prefault(
          z.strictObject({
            name: z._default(NonEmpty, 'Master OS'),
            email: z._default(z.string().check(z.minLength(3)), 'master@localhost'),
          }),
          {},
        ),
      }),
      {},
    ),
    archive: z.prefault(z.strictObject({ afterDays: z._default(Count(0), 30) }), {}),
    sandbox: z._default(Sandbox, 'on'),
    budget: z.optional(Budget),
    executor: z._default(Executor, 'sdk'),
    claudeCode: z.prefault(
      z.strictObject({
        // The operator's own `claude` (default: the first on PATH).
        path: z.optional(NonEmpty),
      }),
      {},
    ),
  })
  .check(
    z.superRefine((registry, ctx) => {
      const brandIds = new Map<string, number>();
      const repoIds = new Map<string, string>();
      registry.brands.forEach((brand, b) => {
        if (brandIds.has(brand.id)) {
          ctx.addIssue({
            code: 'custom',
            params: { plain: true },
            path: ['brands', b, 'id'],
            message: `duplicate brand id "${brand.id}" (also brands[${brandIds.get(brand.id)}]); brand ids must be unique`,
          });
        } else brandIds.set(brand.id, b);
        brand.repos.forEach((repo, r) => {
          const owner = repoIds.get(repo.id);
          if (owner !== undefined) {
            ctx.addIssue({
              code: 'custom',
              params: { plain: true },
              path: ['brands', b, 'repos', r, 'id'],
              message: `duplicate repo id "${repo.id}" (also in brand "${owner}"); repo ids must be unique across the workspace`,
            });
          } else repoIds.set(repo.id, brand.id);
        });
      });
    }),
  );

/** A registry as the program sees it: validated, with every default filled in. */
export type Registry = z.output<typeof RegistrySchema>;
export type RegistryInput = z.input<typeof RegistrySchema>;
export type Brand = Registry['brands'][number];
export type Repo = Brand['repos'][number];
export type ContractOverride = z.output<typeof ContractOverride>;
export type McpServerConfig = z.output<typeof McpServer>;
export type BudgetLimit = z.output<typeof Limit>;
export type Budget = z.output<typeof Budget>;
export type ExecutorKind = z.output<typeof Executor>;

/** The registry's JSON Schema, for editors (`$schema`) and `master registry schema`. */
export function registryJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RegistrySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
