import type * as z from 'zod/mini';
import type { Access } from '../../guards/pathPolicy.js';
import type { ToolContext, ToolResult } from '../../guards/types.js';
import type { AgentContract } from '../contracts.js';

/** What a tool asks the run loop to do after it: end the run, or wait for the operator. */
export interface RunControl {
  finished?: { summary: string };
  asked?: { question: string; toolUseId: string; kind?: 'agent' | 'guard'; approves?: string; choices?: readonly string[] };
}

/** What a tool gets when it runs: the call's context plus the run's contract and control. */
export interface ToolRunContext extends ToolContext {
  contract: AgentContract;
  control: RunControl;
  toolUseId: string;
}

/** A path a call will touch, for confinement and write authority before it runs. */
export interface TouchedPath {
  path: string;
  access: Access;
}

/** One tool: its name and input as Claude Code has them, the paths a call touches, and what it does. */
export interface ToolDefinition<I = Record<string, unknown>> {
  name: string;
  description: string;
  input: z.ZodMiniType<I>;
  /** The paths this call touches (relative ones against the context's cwd). */
  paths(input: I, context: ToolContext): TouchedPath[];
  run(input: I, context: ToolRunContext): Promise<ToolResult>;
}

export function ok(content: string): ToolResult {
  return { content, isError: false };
}

export function failed(content: string): ToolResult {
  return { content, isError: true };
}
