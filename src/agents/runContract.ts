import type { Registry } from '../registry/schema.js';
import type { PolicyExtras } from '../sandbox/index.js';
import { zeroUsage } from '../state/types.js';
import { modelAvailability, type Availability } from './availability.js';
import { locateClaude } from './claudeCode/locate.js';
import { executorFor } from './claudeCode/select.js';
import type { ModelEndpoint } from './model.js';
import type { AgentRunOptions, AgentRunResult } from './runtime.js';

/** What an agent running in Claude Code is told besides its contract's system prompt. */
export const CLAUDE_CODE_NOTE =
  "You run inside Claude Code for Master OS: instead of Finish, end your turn with a short summary of what you did; master's own tools are the mcp__master__ ones (ask the operator with mcp__master__AskOperator, never AskUserQuestion).";

export interface ContractRunOptions extends Omit<AgentRunOptions, 'model'> {
  registry: Registry;
  /** The brand the run works for (its `executor` setting applies); none for a workspace-wide run. */
  brand?: string;
  /** The API model for the built-in runtime (and the scripted model's server for Claude Code), or null. */
  model: ModelEndpoint | null;
  env?: NodeJS.ProcessEnv;
  /** What else Claude Code's sandbox lets it write (its own Write runs inside it, unlike the built-in runtime's). */
  sandbox?: PolicyExtras;
}

export interface ContractRunResult extends AgentRunResult {
  via: 'sdk' | 'claude-code';
  /** Cost is Claude Code's list-price estimate (a subscription), not an API bill. */
  estimate: boolean;
}

/**
 * Whether a contract's agents can run for a brand: through Claude Code, the
 * operator's `claude` must be there and answer; through the built-in runtime,
 * a model must be configured.
 */
export function contractAvailability(registry: Registry, brand: string | undefined, contract: Parameters<typeof executorFor>[2], env: NodeJS.ProcessEnv = process.env): Availability {
  if (executorFor(registry, brand ?? '', contract) !== 'claude-code') return modelAvailability(registry, env);
  const claude = locateClaude(registry, env);
  return claude.ok ? { ok: true, label: `claude-code ${claude.version}` } : { ok: false, reason: claude.reason };
}

/**
 * Runs one agent of a contract with the executor the registry names for it
 * (the contract's `executor`, else the brand's, else the workspace's): the
 * built-in runtime, or the operator's Claude Code with the same guard chain,
 * sandbox, transcript and bus events. The verifier and the wiki's agents run
 * through here; the ticket executor picks the same way (it also resumes
 * Claude Code sessions). Never throws.
 */
export async function runContractAgent(options: ContractRunOptions): Promise<ContractRunResult> {
  const { registry, model, contract } = options;
  const via = executorFor(registry, options.brand ?? '', contract.name);
  const refuse = (reason: string): ContractRunResult => {
    const result: AgentRunResult = { status: 'failed', reason, usage: zeroUsage(), turns: 0, toolCalls: 0, toolMs: 0 };
    options.transcript.write({ t: 'end', ...result });
    return { ...result, via, estimate: false };
  };
  if (via === 'sdk') {
    if (!model) return refuse('no model is configured for the built-in runtime');
    const { runAgent } = await import('./runtime.js');
    const { registry: _registry, brand: _brand, env: _env, sandbox: _sandbox, ...rest } = options;
    return { ...(await runAgent({ ...rest, model })), via, estimate: false };
  }
  const claude = locateClaude(registry, options.env ?? process.env);
  if (!claude.ok) return refuse(`the ${contract.name} runs through Claude Code, but ${claude.reason}`);
  const { runClaudeCode } = await import('./claudeCode/run.js');
  // Claude Code takes one prompt: the run's opening messages, as text.
  const prompt = options.messages
    .filter((m) => m.role === 'user')
    .map((m) => (typeof m.content === 'string' ? m.content : m.content.map((b) => (b.type === 'text' ? b.text : '')).join('\n')))
    .join('\n\n');
  options.transcript.write({ t: 'message', message: { role: 'user', content: prompt } });
  const ran = await runClaudeCode({
    contract,
    claudePath: claude.path,
    systemAppend: `${options.system}\n\n${CLAUDE_CODE_NOTE}`,
    prompt,
    context: options.context,
    chain: options.chain,
    transcript: options.transcript,
    ...(options.bus ? { bus: options.bus } : {}),
    ...(options.store ? { store: options.store } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.labels ? { labels: options.labels } : {}),
    ...(options.budget ? { budget: options.budget } : {}),
    ...(model?.provider === 'scripted' && model.server ? { baseUrl: model.server.url } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
  });
  return { ...ran, via, estimate: ran.estimate };
}
