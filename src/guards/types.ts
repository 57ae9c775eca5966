import type { Registry } from '../registry/schema.js';
import type { Ticket } from '../state/types.js';
import type { WorkspacePaths } from '../workspace/paths.js';

/**
 * The one seam every tool call passes: the runtime runs `before` hooks in
 * order (worktree confinement first, then the guard hooks) and a tool runs
 * only if all allow; `after` hooks see the result. Tools use Claude Code's
 * names and input fields so Claude Code hooks work unchanged.
 */
export interface ToolCall {
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export type Verdict = 'allow' | 'deny' | 'ask';

export interface GuardDecision {
  verdict: Verdict;
  /** Which member of the chain decided (e.g. `worktree-confinement`, `hooks/deny-rules.json`). */
  guard: string;
  reason: string;
}

/** Who is calling and where: what every hook may base its decision on. */
export interface ToolContext {
  paths: WorkspacePaths;
  registry: Registry;
  /** The confinement root: the ticket's worktree (or, for `master guard`, the git top level of cwd). */
  root: string;
  cwd: string;
  brand?: string;
  repo?: string;
  ticket?: Ticket;
  agent: string;
  sessionId: string;
  transcriptPath?: string;
  signal?: AbortSignal;
}

export interface ToolResult {
  content: string;
  isError: boolean;
}

export interface BeforeToolHook {
  name: string;
  /** Returns null when the hook has no opinion on this call (e.g. its matcher does not fit). */
  before(call: ToolCall, context: ToolContext): Promise<GuardDecision | null> | GuardDecision | null;
}

export interface AfterToolHook {
  name: string;
  after(call: ToolCall, context: ToolContext, result: ToolResult): Promise<void> | void;
}

export interface ToolChain {
  before: BeforeToolHook[];
  after: AfterToolHook[];
}
