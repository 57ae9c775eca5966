import type { ContentBlockParam, MessageParam, Tool, ToolResultBlockParam } from '@anthropic-ai/sdk/resources/messages/messages.js';
import type { Bus } from '../bus/index.js';
import { errorMessage } from '../errors.js';
import type { Store } from '../state/store.js';
import { addUsage, zeroUsage, type Usage } from '../state/types.js';
import type { AgentContract } from './contracts.js';
import type { ModelEndpoint } from './model.js';
import { callModel, DEFAULT_RETRY, type RetryPolicy } from './modelCall.js';
import type { ToolChain, ToolContext } from '../guards/types.js';
import { paletteTools, type RunControl, type ToolDefinition } from './tools/index.js';
import { runToolCall } from './toolRunner.js';
import type { Transcript } from './transcript.js';
import { totalTokens, usageFromResponse } from './usage.js';

/** The most output one response may ask for (the run's token budget can lower it). */
const MAX_OUTPUT_TOKENS = 16_000;

export interface AgentRunOptions {
  contract: AgentContract;
  model: ModelEndpoint;
  system: string;
  /** The conversation so far: one user message for a fresh run, the saved one plus the answer for a resumed run. */
  messages: MessageParam[];
  /** Who and where: the root every path is confined to, the cwd of commands, the ticket. */
  context: ToolContext;
  chain: ToolChain;
  transcript: Transcript;
  bus?: Bus;
  store?: Store;
  signal?: AbortSignal;
  retry?: RetryPolicy;
  /** Labels every event of the run carries (ticket, run, brand). */
  labels?: Record<string, string>;
  /** Tools of this run only (a brand's MCP servers): offered besides the palette's, called through the same runner. */
  extraTools?: { schemas: Tool[]; definitions: Map<string, ToolDefinition<Record<string, unknown>>> };
  /** Asked before every model turn with the run's usage so far: why it must stop (a budget), or null. */
  budget?: (usage: Usage) => string | null;
}

export type AgentRunStatus = 'finished' | 'blocked' | 'failed' | 'rejected-key' | 'cancelled' | 'budget';

export interface AgentRunResult {
  status: AgentRunStatus;
  /** Why a run failed or stopped, in words a person can act on. */
  reason?: string;
  summary?: string;
  question?: { text: string; toolUseId: string; kind?: 'agent' | 'guard'; approves?: string; choices?: readonly string[] };
  usage: Usage;
  turns: number;
  toolCalls: number;
  /** Milliseconds inside tools (their own work), so runtime overhead can be told apart. */
  toolMs: number;
}

/** Only what the API accepts back: text and tool calls, without the SDK's extra fields. */
function replayable(content: ReadonlyArray<{ type: string; [key: string]: unknown }>): ContentBlockParam[] {
  const out: ContentBlockParam[] = [];
  for (const block of content) {
    if (block.type === 'text' && typeof block.text === 'string' && block.text) out.push({ type: 'text', text: block.text });
    else if (block.type === 'tool_use') {
      out.push({ type: 'tool_use', id: String(block.id), name: String(block.name), input: (block.input ?? {}) as Record<string, unknown> });
    }
  }
  return out;
}

/**
 * The streaming tool-use loop of one agent run: the model's text and tool
 * calls stream out as bus events; every call goes through the tool runner
 * (palette, write authority, the guard chain) and comes back as a
 * `tool_result`, an error result whenever it was refused or failed. Ends on
 * Finish, a question for the operator, a limit (turns, tokens, wall time), a
 * cancel or a model error. Never throws.
 */
export async function runAgent(options: AgentRunOptions): Promise<AgentRunResult> {
  const { contract, model, transcript, bus } = options;
  const labels = options.labels ?? {};
  const retry = options.retry ?? DEFAULT_RETRY;
  const stop = new AbortController();
  let stopReason: 'cancelled' | 'wall' | null = null;
  const onCancel = () => {
    stopReason ??= 'cancelled';
    stop.abort();
  };
  if (options.signal?.aborted) onCancel();
  options.signal?.addEventListener('abort', onCancel, { once: true });
  const wallTimer = setTimeout(() => {
    stopReason ??= 'wall';
    stop.abort();
  }, contract.maxWallSeconds * 1000);
  wallTimer.unref();

  const messages = [...options.messages];
  const tools = [...paletteTools(contract.tools), ...(options.extraTools?.schemas ?? [])];
  const context = { ...options.context, signal: stop.signal };
  let usage = zeroUsage();
  let turns = 0;
  let toolCalls = 0;
  let toolMs = 0;

  const end = (result: Omit<AgentRunResult, 'usage' | 'turns' | 'toolCalls' | 'toolMs'>): AgentRunResult => {
    clearTimeout(wallTimer);
    options.signal?.removeEventListener('abort', onCancel);
    const full: AgentRunResult = { ...result, usage, turns, toolCalls, toolMs };
    transcript.write({ t: 'end', ...full });
    bus?.publish({ type: 'agent.end', ...labels, agent: context.agent, status: full.status, reason: full.reason, turns, usage });
    return full;
  };
  const stopped = () =>
    stopReason === 'wall' ? end({ status: 'failed', reason: `hit the wall-time limit (${contract.maxWallSeconds} s)` }) : end({ status: 'cancelled', reason: 'the run was stopped' });

  bus?.publish({ type: 'agent.start', ...labels, agent: context.agent, contract: contract.name, model: contract.model, via: model.label });
  try {
    for (;;) {
      if (stop.signal.aborted) return stopped();
      if (turns >= contract.maxTurns) return end({ status: 'failed', reason: `hit the turn limit (${contract.maxTurns} turns) before calling Finish` });
      const used = totalTokens(usage);
      if (used >= contract.maxTokens) {
        return end({ status: 'failed', reason: `hit the token limit (${used} of ${contract.maxTokens} tokens) before calling Finish` });
      }
      const overBudget = options.budget?.(usage) ?? null;
      if (overBudget) return end({ status: 'budget', reason: overBudget });
      const response = await callModel({
        model,
        params: {
          model: contract.model,
          max_tokens: Math.max(1, Math.min(MAX_OUTPUT_TOKENS, contract.maxTokens - used)),
          system: options.system,
          messages,
          ...(tools.length ? { tools } : {}),
        },
        ...(labels.ticket ? { ticket: labels.ticket } : {}),
        signal: stop.signal,
        retry,
        onText: (text) => bus?.publish({ type: 'agent.text', ...labels, agent: context.agent, text }),
        onRetry: (attempt, reason, delayMs) => {
          transcript.write({ t: 'retry', attempt, reason });
          bus?.publish({ type: 'agent.retry', ...labels, agent: context.agent, attempt, reason, delayMs });
        },
      });
      if (!response.ok) {
        if (response.kind === 'aborted') return stopped();
        return end({ status: response.kind, reason: response.reason });
      }
      turns++;
      usage = addUsage(usage, usageFromResponse(response.message.usage, contract.model, model.provider));
      const content = replayable(response.message.content as unknown as Array<{ type: string }>);
      const assistant: MessageParam = { role: 'assistant', content: content.length ? content : [{ type: 'text', text: '(no reply)' }] };
      messages.push(assistant);
      transcript.write({ t: 'message', message: assistant });

      const calls = content.filter((b): b is Extract<ContentBlockParam, { type: 'tool_use' }> => b.type === 'tool_use');
      if (calls.length === 0) {
        if (response.message.stop_reason === 'max_tokens') {
          const nudge: MessageParam = { role: 'user', content: 'Your reply was cut off at the output limit; continue, and call Finish when done.' };
          messages.push(nudge);
          transcript.write({ t: 'message', message: nudge });
          continue;
        }
        // A model that ends its turn without tools is done; what it said is the summary.
        const text = content
          .map((b) => (b.type === 'text' ? b.text : ''))
          .join('\n')
          .trim();
        return end({ status: 'finished', summary: text || 'the model ended its turn without a summary' });
      }

      const control: RunControl = {};
      const results: ToolResultBlockParam[] = [];
      for (const call of calls) {
        if (stop.signal.aborted) {
          results.push({ type: 'tool_result', tool_use_id: call.id, content: 'not run: the run was stopped', is_error: true });
          continue;
        }
        toolCalls++;
        const outcome = await runToolCall(
          { id: call.id, name: call.name, input: (call.input ?? {}) as Record<string, unknown> },
          { ...context, contract, control, toolUseId: call.id },
          {
            chain: options.chain,
            labels,
            ...(bus ? { bus } : {}),
            ...(options.store ? { store: options.store } : {}),
            ...(options.extraTools ? { extraTools: options.extraTools.definitions } : {}),
          },
        );
        toolMs += outcome.ms;
        // The question's result is the operator's answer, added when the run resumes.
        if (control.asked?.toolUseId === call.id && !outcome.isError) continue;
        results.push({
          type: 'tool_result',
          tool_use_id: call.id,
          content: outcome.content,
          ...(outcome.isError ? { is_error: true } : {}),
        });
      }
      if (control.asked) {
        transcript.write({ t: 'pending', results, toolUseId: control.asked.toolUseId, question: control.asked.question });
        const { question, toolUseId, kind, approves, choices } = control.asked;
        return end({ status: 'blocked', question: { text: question, toolUseId, ...(kind ? { kind } : {}), ...(approves ? { approves } : {}), ...(choices ? { choices } : {}) } });
      }
      const user: MessageParam = { role: 'user', content: results };
      messages.push(user);
      transcript.write({ t: 'message', message: user });
      if (control.finished) return end({ status: 'finished', summary: control.finished.summary });
    }
  } catch (error) {
    return end({ status: 'failed', reason: `the agent runtime failed: ${errorMessage(error)}` });
  }
}

/** The messages that continue a run stopped for a question: the saved turn's results plus the answer. */
export function resumeMessages(saved: { messages: MessageParam[]; pending: { results: ToolResultBlockParam[]; toolUseId: string } | null }, answer: string): MessageParam[] {
  const messages = [...saved.messages];
  if (!saved.pending) return messages;
  const results: ToolResultBlockParam[] = [...saved.pending.results, { type: 'tool_result', tool_use_id: saved.pending.toolUseId, content: `The operator answered: ${answer}` }];
  messages.push({ role: 'user', content: results });
  return messages;
}

export type { RetryPolicy } from './modelCall.js';
