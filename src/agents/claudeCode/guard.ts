import { decisionEvent, inputDigest } from '../../guards/audit.js';
import { callApproved, callRefused } from '../../questions/index.js';
import type { Bus } from '../../bus/index.js';
import type { Store } from '../../state/store.js';
import type { AgentContract } from '../contracts.js';
import { firstWriteRefusal, hookDecision } from '../confinement.js';
import type { GuardDecision, ToolCall, ToolChain, ToolContext } from '../../guards/types.js';
import { getTool, type RunControl } from '../tools/index.js';

/** The in-process MCP server's name: its tools reach Claude Code as `mcp__master__<Tool>`. */
export const MCP_SERVER = 'master';
export const ASK_OPERATOR_TOOL = `mcp__${MCP_SERVER}__AskOperator`;

/** What a call to a Claude Code tool gets: run it, or refuse it with a reason the model reads. */
export type ClaudeCodeDecision = { allow: true } | { allow: false; reason: string; guard: string };

export interface ClaudeCodeGuardDeps {
  contract: AgentContract;
  context: ToolContext;
  chain: ToolChain;
  control: RunControl;
  store?: Store;
  bus?: Bus;
}

/** Tools Claude Code has itself, under the same name and with the same input as master's. */
const CLAUDE_CODE_BUILTINS = new Set(['Read', 'Write', 'Edit', 'Bash', 'Glob', 'Grep']);
const MCP_PREFIX = `mcp__${MCP_SERVER}__`;

/**
 * master's own tools of the contract that Claude Code lacks (AskOperator,
 * Verdict, WikiRead, ProposeFinding…): offered to it through master's
 * in-process MCP server and run by master's implementation. Finish is the end
 * of Claude Code's turn.
 */
export function masterMcpTools(contract: AgentContract): string[] {
  return contract.tools.filter((t) => t !== 'Finish' && !CLAUDE_CODE_BUILTINS.has(t) && !t.startsWith('mcp__') && (t === 'AskOperator' || getTool(t) !== undefined));
}

/**
 * Claude Code's own tools the contract's palette names: the only built-ins it
 * is given (its other tools, subagents and web access included, do not
 * exist for the run; native builds offer Glob and Grep only when named).
 */
export function claudeCodeBuiltins(contract: AgentContract): string[] {
  return contract.tools.filter((t) => CLAUDE_CODE_BUILTINS.has(t));
}

/** master's name of a tool Claude Code calls (`mcp__master__Verdict` is Verdict). */
export function masterToolName(name: string): string {
  return name.startsWith(MCP_PREFIX) ? name.slice(MCP_PREFIX.length) : name;
}

/** The contract's palette in Claude Code's names (master's own tools are MCP tools; Finish is the end of the turn). */
export function claudeCodePalette(contract: AgentContract): string[] {
  const own = new Set(masterMcpTools(contract));
  return contract.tools.filter((t) => t !== 'Finish').map((t) => (own.has(t) ? `${MCP_PREFIX}${t}` : t));
}

/**
 * The same decision the built-in runtime makes before a tool runs, for a
 * call Claude Code is about to make: the contract's palette (everything
 * else, Claude Code's own extra tools included, is refused), the write
 * authority, then every `before` member of the guard chain (the first deny
 * wins, a member that throws denies). A guard's `ask` is refused now and
 * becomes a question for the operator (unless the operator already approved
 * exactly this call); the run then stops blocked on it.
 */
export async function decideClaudeCodeCall(call: ToolCall, deps: ClaudeCodeGuardDeps): Promise<ClaudeCodeDecision> {
  const { contract, context } = deps;
  const recordDecision = (decision: GuardDecision) => {
    const payload = decisionEvent(call, context, decision);
    try {
      if (deps.store) deps.store.record(payload);
      else deps.bus?.publish(payload);
    } catch {
      deps.bus?.publish(payload);
    }
  };
  const deny = (decision: GuardDecision, own = true): ClaudeCodeDecision => {
    if (own) recordDecision(decision);
    return { allow: false, reason: `${call.name} was refused by ${decision.guard}: ${decision.reason}`, guard: decision.guard };
  };
  const palette = claudeCodePalette(contract);
  if (!palette.includes(call.name)) {
    return deny({ verdict: 'deny', guard: 'palette', reason: `${call.name} is not in the ${contract.name} contract's palette (${palette.join(', ')})` });
  }
  if (call.name === ASK_OPERATOR_TOOL) return { allow: true };
  // The chain sees master's own name, as it does under the built-in runtime.
  const name = masterToolName(call.name);
  const tool = getTool(name);
  // A palette tool master has no implementation for cannot be checked the way the chain expects: refused.
  if (!tool) return deny({ verdict: 'deny', guard: 'palette', reason: `${call.name} has no guard mapping in master` });
  const parsed = tool.input.safeParse(call.input);
  if (!parsed.success) return deny({ verdict: 'deny', guard: 'input', reason: `its input does not have the expected shape (${parsed.error.issues[0]?.message ?? 'invalid'})` });
  const input = parsed.data as Record<string, unknown>;
  const validated: ToolCall = { ...call, name, input };
  const runContext = { ...context, contract, control: deps.control, toolUseId: call.id };
  const unauthorized = firstWriteRefusal(contract, context, tool.paths(input, runContext));
  if (unauthorized) return deny({ verdict: 'deny', guard: 'write-authority', reason: unauthorized });
  let ask: GuardDecision | null = null;
  for (const hook of deps.chain.before) {
    const decision = await hookDecision(hook, validated, runContext);
    if (!decision) continue;
    if (decision.verdict === 'deny') return deny(decision, false);
    if (decision.verdict === 'ask') ask ??= decision;
  }
  if (!ask) return { allow: true };
  const key = `${call.name}:${inputDigest(call.input)}`;
  const ticket = context.ticket?.id;
  if (ticket && deps.store && callApproved(deps.store.state.questions, ticket, key)) {
    recordDecision({ verdict: 'allow', guard: 'operator-approval', reason: `the operator approved this call (${ask.guard} asked)` });
    return { allow: true };
  }
  const current = ticket ? deps.store?.state.tickets[ticket] : undefined;
  const refused = current && deps.store ? callRefused(deps.store.state.questions, current, key) : undefined;
  if (refused) return deny({ verdict: 'deny', guard: 'operator-approval', reason: `the operator refused this call (${refused.id}: ${refused.answer})` });
  if (ticket && deps.store && !deps.control.asked) {
    deps.control.asked = {
      question: `${ticket} wants to run ${call.name} ${JSON.stringify(call.input).slice(0, 300)} — allow it? (${ask.guard}: ${ask.reason})`,
      toolUseId: call.id,
      kind: 'guard',
      approves: key,
    };
    return { allow: false, reason: `${call.name} waits for the operator's approval (${ask.guard}: ${ask.reason}); the run pauses until they answer`, guard: ask.guard };
  }
  return { allow: false, reason: `${call.name} needs the operator's approval by ${ask.guard}: ${ask.reason}`, guard: ask.guard };
}
