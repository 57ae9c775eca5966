import * as z from 'zod/mini';
import { UserError } from '../errors.js';
import { CONTRACT_NAMES, type ContractName, type Registry } from '../registry/schema.js';

/**
 * Tool names a palette may list: ours, plus the ones other modules provide
 * (the wiki's `WikiRead`/`WikiSearch`/`ProposeFinding`, the gate's `Verdict`), plus MCP tools
 * (`mcp__server__tool`). A palette entry without an implementation at run
 * time is simply not offered.
 */
export const KNOWN_TOOLS = ['Read', 'Write', 'Edit', 'Glob', 'Grep', 'Bash', 'AskOperator', 'Finish', 'WikiRead', 'WikiSearch', 'Verdict', 'ProposeFinding'] as const;
export type KnownTool = (typeof KNOWN_TOOLS)[number];

/** Tools that write files: a contract that has one needs write authority. */
export const WRITING_TOOLS: readonly string[] = ['Write', 'Edit', 'Bash'];

/** An agent contract: what the agent is for and what it may do. */
export interface AgentContract {
  name: ContractName;
  role: string;
  model: string;
  /** The palette: the runtime refuses a call to any other tool, even if the model makes one. */
  tools: string[];
  /** Globs relative to the confinement root that Write and Edit may touch (`!glob` excludes). */
  writePaths: string[];
  maxTurns: number;
  /** Tokens per run: input + output + cache read + cache write, over all turns. */
  maxTokens: number;
  maxWallSeconds: number;
}

const toolName = z.string().check(
  z.refine((name) => (KNOWN_TOOLS as readonly string[]).includes(name) || /^mcp__(?:\*|[\w-]+)$/.test(name), {
    message: `a tool name: one of ${KNOWN_TOOLS.join(', ')}, mcp__server__tool, mcp__server (its every tool) or mcp__* (every server the brand lists)`,
  }),
);

/** The shape every resolved contract must have. */
export const AgentContractSchema = z
  .strictObject({
    name: z.enum(CONTRACT_NAMES),
    role: z.string().check(z.trim(), z.minLength(20, 'a role text of at least a sentence')),
    model: z.string().check(z.minLength(1)),
    tools: z.array(toolName).check(z.minLength(1, 'at least one tool')),
    writePaths: z.array(z.string().check(z.minLength(1))),
    maxTurns: z.int().check(z.gte(1), z.lte(500)),
    maxTokens: z.int().check(z.gte(1000)),
    maxWallSeconds: z.int().check(z.gte(1), z.lte(86_400)),
  })
  .check(
    z.superRefine((contract, ctx) => {
      const writes = contract.tools.filter((t) => WRITING_TOOLS.includes(t) && t !== 'Bash');
      if (writes.length > 0 && contract.writePaths.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['writePaths'],
          message: `has ${writes.join(', ')} in its palette but no write authority; add writePaths or remove the tools`,
        });
      }
      if (!contract.tools.includes('Finish') && !contract.tools.includes('Verdict')) {
        ctx.addIssue({ code: 'custom', path: ['tools'], message: 'needs Finish (or Verdict) so a run can end' });
      }
    }),
  );

const READ = ['Read', 'Glob', 'Grep'];
const WIKI = ['WikiRead', 'WikiSearch'];

type Declared = Omit<AgentContract, 'name' | 'model'>;

/** The eight contracts that ship with the package. */
export const DECLARED_CONTRACTS: Record<ContractName, Declared> = {
  scout: {
    role: 'You are the scout. You read what changed in a repository since the last look and summarise it for the operator: new commits, uncommitted work, stale branches. You never change anything.',
    tools: [...READ, 'Finish'],
    writePaths: [],
    maxTurns: 20,
    maxTokens: 200_000,
    maxWallSeconds: 300,
  },
  interviewer: {
    role: 'You are the interviewer. You prepare the questions only the operator can decide, one at a time, short and answerable, with the context needed to answer them. You never change anything.',
    tools: [...READ, ...WIKI, 'AskOperator', 'Finish'],
    writePaths: [],
    maxTurns: 20,
    maxTokens: 200_000,
    maxWallSeconds: 300,
  },
  executor: {
    role: 'You are an executor. You do the work of one ticket in its own git worktree: read the code, make the smallest correct change that meets the acceptance criteria, run the tests, and call Finish with a summary. When only the operator can decide something, ask with AskOperator.',
    // mcp__*: the MCP servers the ticket's brand lists in registry.json (none unless the operator lists some).
    tools: [...READ, 'Write', 'Edit', 'Bash', ...WIKI, 'AskOperator', 'Finish', 'mcp__*'],
    writePaths: ['**'],
    maxTurns: 60,
    maxTokens: 2_000_000,
    maxWallSeconds: 1800,
  },
  verifier: {
    role: 'You are the verifier. You read a ticket, its acceptance criteria, the diff and the check results, and return a structured verdict with reasons through the Verdict tool. You never change anything.',
    tools: [...READ, 'Verdict'],
    writePaths: [],
    maxTurns: 30,
    maxTokens: 500_000,
    maxWallSeconds: 600,
  },
  distiller: {
    role: 'You are a distiller. You read logs, merged tickets and notes and classify candidate knowledge as high, medium or low confidence, proposing wiki edits. You never write pages yourself.',
    tools: [...READ, ...WIKI, 'ProposeFinding', 'Finish'],
    writePaths: [],
    maxTurns: 30,
    maxTokens: 400_000,
    maxWallSeconds: 600,
  },
  librarian: {
    role: "You are the librarian. You write and edit a brand's wiki pages from approved findings, keeping them short, linked and sourced. You never touch cross-brand pages.",
    tools: [...READ, 'Write', 'Edit', ...WIKI, 'Finish'],
    writePaths: ['wiki/*/**', '!wiki/global/**', '!wiki/ledger/**'],
    maxTurns: 30,
    maxTokens: 400_000,
    maxWallSeconds: 600,
  },
  'operator-global': {
    role: 'You are operator-global. You write the cross-brand wiki pages from approved findings that concern every brand. You never touch a brand page.',
    tools: [...READ, 'Write', 'Edit', ...WIKI, 'Finish'],
    writePaths: ['wiki/global/**'],
    maxTurns: 30,
    maxTokens: 400_000,
    maxWallSeconds: 600,
  },
  housekeeper: {
    role: 'You are the housekeeper. You fix problems the system doctor named precisely (stale files, broken configuration) in the smallest safe way and call Finish with what you did.',
    tools: [...READ, 'Write', 'Edit', 'Bash', 'Finish'],
    writePaths: ['**'],
    maxTurns: 30,
    maxTokens: 500_000,
    maxWallSeconds: 900,
  },
};

/** One problem with a contract, for the doctor and for error messages. */
export interface ContractProblem {
  contract: string;
  field: string;
  message: string;
}

/** The model for a contract: `contracts.<name>.model`, else `models.contracts.<name>`, else `models.default`. */
export function contractModel(registry: Registry, name: ContractName): string {
  return registry.contracts[name]?.model ?? registry.models.contracts[name] ?? registry.models.default;
}

/** Merges the declared contract with the registry's overrides (no validation). */
export function mergeContract(registry: Registry, name: ContractName): AgentContract {
  const declared = DECLARED_CONTRACTS[name];
  const override = registry.contracts[name] ?? {};
  return {
    name,
    role: override.role ?? declared.role,
    model: contractModel(registry, name),
    tools: override.tools ?? [...declared.tools],
    writePaths: override.writePaths ?? [...declared.writePaths],
    maxTurns: override.maxTurns ?? declared.maxTurns,
    maxTokens: override.maxTokens ?? declared.maxTokens,
    maxWallSeconds: override.maxWallSeconds ?? declared.maxWallSeconds,
  };
}

/** Every problem of the eight merged contracts (empty when all are valid): what the doctor reports. */
export function validateContracts(registry: Registry): ContractProblem[] {
  const problems: ContractProblem[] = [];
  for (const name of CONTRACT_NAMES) {
    if (!DECLARED_CONTRACTS[name]) {
      problems.push({ contract: name, field: '(contract)', message: 'is not declared by this version of master' });
      continue;
    }
    const result = AgentContractSchema.safeParse(mergeContract(registry, name));
    if (result.success) continue;
    for (const issue of result.error.issues) {
      problems.push({ contract: name, field: issue.path.join('.') || '(contract)', message: issue.message });
    }
  }
  return problems;
}

/** The eight contracts, merged with the registry and validated; a UserError lists every problem. */
export function resolveContracts(registry: Registry): Record<ContractName, AgentContract> {
  const problems = validateContracts(registry);
  if (problems.length > 0) {
    throw new UserError(`registry.json: invalid agent contracts:\n${problems.map((p) => `  - contracts.${p.contract}.${p.field}: ${p.message}`).join('\n')}`);
  }
  const out = {} as Record<ContractName, AgentContract>;
  for (const name of CONTRACT_NAMES) out[name] = mergeContract(registry, name);
  return out;
}
