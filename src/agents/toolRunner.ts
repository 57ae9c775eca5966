import type { Bus } from '../bus/index.js';
import { errorMessage } from '../errors.js';
import type { Store } from '../state/store.js';
import { firstWriteRefusal, hookDecision, worktreeConfinement } from './confinement.js';
import type { BeforeToolHook, GuardDecision, ToolCall, ToolChain, ToolResult } from '../guards/types.js';
import { decisionEvent, inputDigest } from '../guards/audit.js';
import { callApproved, callRefused } from '../questions/index.js';
import { getTool, type ToolDefinition, type ToolRunContext } from './tools/index.js';

/** Where a call's events go: the bus (live) and the store (the audit trail of refusals). */
export interface ToolRunnerDeps {
  chain: ToolChain;
  bus?: Bus;
  store?: Store;
  /** Labels for the events (ticket, run). */
  labels?: Record<string, string>;
  /** Tools of this run only (a brand's MCP servers, already filtered by the palette). */
  extraTools?: ReadonlyMap<string, ToolDefinition<Record<string, unknown>>>;
}

export interface ToolCallOutcome extends ToolResult {
  /** The member that refused the call (`palette`, `write-authority`, a hook), when it did not run. */
  refusedBy?: string;
  ms: number;
}

const MAX_EVENT_CONTENT = 2000;
/** Chain members whose decisions the runner records (the guards' members record their own). */
const OWN_HOOKS = new Set<BeforeToolHook>([worktreeConfinement]);

function record(deps: ToolRunnerDeps, call: ToolCall, decision: GuardDecision, context: ToolRunContext): void {
  const payload = decisionEvent(call, context, decision);
  // Every decision is part of the audit trail (the guard chain batches its frequent allows itself).
  try {
    if (deps.store) deps.store.record(payload);
    else deps.bus?.publish(payload);
  } catch {
    deps.bus?.publish(payload);
  }
}

function refuse(deps: ToolRunnerDeps, call: ToolCall, context: ToolRunContext, decision: GuardDecision, started: number): ToolCallOutcome {
  record(deps, call, decision, context);
  return refusal(call, decision, started);
}

function refusal(call: ToolCall, decision: GuardDecision, started: number): ToolCallOutcome {
  const verb = decision.verdict === 'ask' ? "needs the operator's approval" : 'was refused';
  return { content: `${call.name} ${verb} by ${decision.guard}: ${decision.reason}`, isError: true, refusedBy: decision.guard, ms: Date.now() - started };
}

/**
 * A guard's `ask` becomes a question for the operator: the run stops blocked
 * with it, and once the operator says yes the same call (same tool, same
 * input) is allowed for this ticket. Returns null when it was approved already.
 */
function askTheOperator(call: ToolCall, context: ToolRunContext, deps: ToolRunnerDeps, ask: GuardDecision, started: number): ToolCallOutcome | null {
  const key = `${call.name}:${inputDigest(call.input)}`;
  const ticket = context.ticket?.id;
  if (ticket && deps.store && callApproved(deps.store.state.questions, ticket, key)) {
    record(deps, call, { verdict: 'allow', guard: 'operator-approval', reason: `the operator approved this call (${ask.guard} asked)` }, context);
    return null;
  }
  // Asked before and refused: the same call is refused at once, never asked in a loop.
  const current = ticket ? deps.store?.state.tickets[ticket] : undefined;
  const refused = current && deps.store ? callRefused(deps.store.state.questions, current, key) : undefined;
  if (refused) {
    return refuse(deps, call, context, { verdict: 'deny', guard: 'operator-approval', reason: `the operator refused this call (${refused.id}: ${refused.answer})` }, started);
  }
  // Without a ticket to block (or with a question already pending this turn) there is no one to ask: refuse.
  if (!ticket || !deps.store || context.control.asked) return refusal(call, ask, started);
  context.control.asked = {
    question: `${ticket} wants to run ${call.name} ${JSON.stringify(call.input).slice(0, 300)} — allow it? (${ask.guard}: ${ask.reason})`,
    toolUseId: context.toolUseId,
    kind: 'guard',
    approves: key,
  };
  return { content: `waiting for the operator to approve (${ask.guard}: ${ask.reason})`, isError: false, refusedBy: ask.guard, ms: Date.now() - started };
}

/**
 * Runs one tool call the way every call runs: the contract's palette, its
 * write authority, the chain's `before` hooks in order (the first deny stops
 * it, an ask stands unless a later hook denies; a hook that throws denies),
 * the tool, then the `after` hooks.
 * Never throws: every refusal or failure comes back as an error result.
 */
export async function runToolCall(call: ToolCall, context: ToolRunContext, deps: ToolRunnerDeps): Promise<ToolCallOutcome> {
  const started = Date.now();
  deps.bus?.publish({ type: 'tool.call', ...deps.labels, agent: context.agent, id: call.id, tool: call.name, input: call.input });
  const outcome = await decideAndRun(call, context, deps, started);
  const content = outcome.content.length > MAX_EVENT_CONTENT ? `${outcome.content.slice(0, MAX_EVENT_CONTENT)}…` : outcome.content;
  deps.bus?.publish({
    type: 'tool.result',
    ...deps.labels,
    agent: context.agent,
    id: call.id,
    tool: call.name,
    isError: outcome.isError,
    content,
    ms: outcome.ms,
    ...(outcome.refusedBy ? { refusedBy: outcome.refusedBy } : {}),
  });
  return outcome;
}

async function decideAndRun(call: ToolCall, context: ToolRunContext, deps: ToolRunnerDeps, started: number): Promise<ToolCallOutcome> {
  const { contract } = context;
  const extra = deps.extraTools?.get(call.name);
  if (!extra && !contract.tools.includes(call.name)) {
    return refuse(
      deps,
      call,
      context,
      {
        verdict: 'deny',
        guard: 'palette',
        reason: `${call.name} is not in the ${contract.name} contract's palette (${contract.tools.join(', ')})`,
      },
      started,
    );
  }
  const tool = extra ?? getTool(call.name);
  if (!tool) return { content: `no tool named ${call.name} is available here`, isError: true, ms: Date.now() - started };
  const parsed = tool.input.safeParse(call.input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    return { content: `invalid input for ${call.name}: ${issues}`, isError: true, ms: Date.now() - started };
  }
  const input = parsed.data as Record<string, unknown>;
  const validated: ToolCall = { ...call, input };
  const unauthorized = firstWriteRefusal(contract, context, tool.paths(input, context));
  if (unauthorized) return refuse(deps, validated, context, { verdict: 'deny', guard: 'write-authority', reason: unauthorized }, started);
  let ask: GuardDecision | null = null;
  for (const hook of deps.chain.before) {
    const decision = await hookDecision(hook, validated, context);
    if (!decision) continue;
    // Members of other modules (the guard chain) record their own decisions; the runner records its own.
    const own = OWN_HOOKS.has(hook);
    if (decision.verdict === 'deny') return own ? refuse(deps, validated, context, decision, started) : refusal(validated, decision, started);
    if (own) record(deps, validated, decision, context);
    // An ask stands unless a later member denies.
    if (decision.verdict === 'ask') ask ??= decision;
  }
  if (ask) {
    const asked = askTheOperator(validated, context, deps, ask, started);
    if (asked) return asked;
  }
  let result: ToolResult;
  try {
    result = await tool.run(input, context);
  } catch (error) {
    result = { content: `${call.name} failed: ${errorMessage(error)}`, isError: true };
  }
  for (const hook of deps.chain.after) {
    try {
      await hook.after(validated, context, result);
    } catch {
      // An after hook observes; its failure must not change what the tool did.
    }
  }
  return { ...result, ms: Date.now() - started };
}
