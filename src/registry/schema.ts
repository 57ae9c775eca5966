import { z } from 'zod';

/** The eight declared agent contracts; the registry may only refer to these. */
export const CONTRACT_NAMES = [
  'scout',
  'interviewer',
  'executor',
  'verifier',
  'distiller',
  'librarian',
  'operator-global',
  'housekeeper',
] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

const Id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'a lower-case id of letters, digits and dashes (e.g. "sandbox")');

const Command = z.string().min(1, 'a non-empty shell command');

const Checks = z.strictObject({
  test: Command.optional(),
  lint: Command.optional(),
  typecheck: Command.optional(),
  timeoutSeconds: z.number().int().positive().default(600),
});

const Gate = z.strictObject({
  verifier: z.enum(['agent', 'checks-only']).default('agent'),
});

const Repo = z.strictObject({
  id: Id,
  path: z.string().min(1, 'a path relative to the workspace, or absolute'),
  mainBranch: z.string().min(1).default('main'),
  checks: Checks.prefault({}),
  gate: Gate.prefault({}),
});

const McpServer = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
});

const Brand = z.strictObject({
  id: Id,
  name: z.string().min(1),
  silo: z.boolean().default(false),
  lanes: z.number().int().min(1).optional(),
  repos: z.array(Repo).default([]),
  mcpServers: z.record(z.string(), McpServer).default({}),
});

const ContractOverride = z.strictObject({
  role: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  tools: z.array(z.string().min(1)).optional(),
  writePaths: z.array(z.string().min(1)).optional(),
  maxTurns: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
  maxWallSeconds: z.number().int().positive().optional(),
});

const ContractName = z.enum(CONTRACT_NAMES);

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const RegistrySchema = z
  .strictObject({
    $schema: z.string().optional(),
    brands: z.array(Brand),
    dispatch: z
      .strictObject({
        concurrency: z.number().int().min(1).default(4),
        lanesPerBrand: z.number().int().min(1).default(1),
      })
      .prefault({}),
    models: z
      .strictObject({
        provider: z.enum(['anthropic', 'scripted']).default('anthropic'),
        default: z.string().min(1).default('claude-sonnet-4-5'),
        contracts: z.partialRecord(ContractName, z.string().min(1)).default({}),
        script: z.string().min(1).optional(),
      })
      .prefault({}),
    contracts: z.partialRecord(ContractName, ContractOverride).default({}),
    timezone: z
      .string()
      .refine(validTimeZone, 'an IANA time zone such as "Europe/Berlin" or "UTC"')
      .default('UTC'),
    git: z
      .strictObject({
        author: z
          .strictObject({
            name: z.string().min(1).default('Master OS'),
            email: z.string().min(3).default('master@localhost'),
          })
          .prefault({}),
      })
      .prefault({}),
    archive: z
      .strictObject({
        afterDays: z.number().int().min(0).default(30),
      })
      .prefault({}),
  })
  .superRefine((registry, ctx) => {
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
  });

/** A registry as the program sees it: validated, with every default filled in. */
export type Registry = z.output<typeof RegistrySchema>;
export type RegistryInput = z.input<typeof RegistrySchema>;
export type Brand = Registry['brands'][number];
export type Repo = Brand['repos'][number];
export type ContractOverride = z.output<typeof ContractOverride>;

/** The registry's JSON Schema, for editors (`$schema`) and `master registry schema`. */
export function registryJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(RegistrySchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
