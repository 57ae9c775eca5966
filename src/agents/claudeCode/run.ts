import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MessageParam } from '@anthropic-ai/sdk/resources/messages/messages.js';
import * as z from 'zod/mini';
import type { Bus } from '../../bus/index.js';
import { errorMessage } from '../../errors.js';
import { buildPolicy, bwrapArgs, sandboxLaunch, type PolicyExtras } from '../../sandbox/index.js';
import type { Store } from '../../state/store.js';
import { addUsage, zeroUsage, type Usage } from '../../state/types.js';
import type { AgentContract } from '../contracts.js';
import type { AgentRunResult } from '../runtime.js';
import type { ToolChain, ToolContext } from '../../guards/types.js';
import { getTool, type RunControl } from '../tools/index.js';
import type { Transcript } from '../transcript.js';
import { totalTokens, usageFromResponse } from '../usage.js';
import { ASK_OPERATOR_TOOL, claudeCodeBuiltins, decideClaudeCodeCall, masterMcpTools, masterToolName, MCP_SERVER } from './guard.js';

export interface ClaudeCodeRunOptions {
  contract: AgentContract;
  /** The path of the operator's `claude`. */
  claudePath: string;
  /** Appended to Claude Code's own system prompt: the contract's role, the silo rules, the ticket's place. */
  systemAppend: string;
  /** The first prompt of a fresh session, or the operator's answer when `resume` names a session. */
  prompt: string;
  resume?: string;
  context: ToolContext;
  chain: ToolChain;
  transcript: Transcript;
  bus?: Bus;
  store?: Store;
  signal?: AbortSignal;
  labels?: Record<string, string>;
  budget?: (usage: Usage) => string | null;
  /** A model server to use instead of Anthropic's (the scripted model), with the ticket header it keys by. */
  baseUrl?: string;
  /** More the sandbox lets the whole process write (a wiki authority's pages: Claude Code writes them itself). */
  sandbox?: PolicyExtras;
  /** The operator's environment: only what Claude Code needs to reach its model is passed on. */
  env?: NodeJS.ProcessEnv;
}

export interface ClaudeCodeRunResult extends AgentRunResult {
  /** The Claude Code session, to resume after a question. */
  sessionId?: string;
  /** Cost is Claude Code's own list-price estimate unless the run paid by API key. */
  estimate: boolean;
  /** Calls Claude Code reports as denied (checked rather than trusting a success result). */
  denials: string[];
}

/** Variables of the operator's environment Claude Code may see (nothing else leaks into the sandbox). */
const PASSED_ENV = ['PATH', 'LANG', 'LC_ALL', 'TERM', 'ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_BASE_URL'];

/** Claude Code's switches that keep it from calling anything but its model (no telemetry, updates, error reports). */
const QUIET_ENV = {
  DISABLE_TELEMETRY: '1',
  DISABLE_AUTOUPDATER: '1',
  DISABLE_ERROR_REPORTING: '1',
  DISABLE_BUG_COMMAND: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  CLAUDE_CODE_DISABLE_TERMINAL_TITLE: '1',
};

/** How long a question waits for Claude Code to save its session before the process is stopped anyway. */
const SESSION_SAVE_MS = 15_000;

/**
 * The file in which Claude Code keeps a session (`<config>/projects/<cwd key>/<id>.jsonl`),
 * or null while it has not written it yet.
 */
export function claudeSessionFile(configDir: string, sessionId: string): string | null {
  const projects = path.join(configDir, 'projects');
  let folders: string[];
  try {
    folders = readdirSync(projects);
  } catch {
    return null;
  }
  for (const folder of folders) {
    const file = path.join(projects, folder, `${sessionId}.jsonl`);
    if (existsSync(file)) return file;
  }
  return null;
}

/** Whether Claude Code's saved session holds `marker` (a tool call's id) yet. */
function sessionHolds(configDir: string, sessionId: string, marker: string): boolean {
  const file = claudeSessionFile(configDir, sessionId);
  if (!file) return false;
  try {
    return readFileSync(file, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

/** Result texts by which Claude Code says it has no login (it never gets one from us). */
const LOGGED_OUT = /invalid api key|please run \/login|not logged in|authentication_error|oauth token/i;

/**
 * One agent run through the operator's Claude Code, driven by the Agent SDK:
 * the guard chain is its PreToolUse hook for every tool (subagents and MCP
 * included) with a deterministic `canUseTool` behind it, no settings files
 * are loaded, AskUserQuestion is off and questions go to the operator through
 * master's AskOperator MCP tool, and the whole `claude` process (and so
 * everything it starts) runs inside the ticket's OS sandbox with a private
 * HOME. Streams onto the bus like the built-in runtime and writes the same
 * transcript lines. Never throws.
 */
export async function runClaudeCode(options: ClaudeCodeRunOptions): Promise<ClaudeCodeRunResult> {
  const { contract, transcript, bus, context } = options;
  const labels = options.labels ?? {};
  const env = options.env ?? process.env;
  const started = Date.now();
  const abort = new AbortController();
  let stopReason: { status: AgentRunResult['status']; reason: string } | null = null;
  let child: ReturnType<typeof spawn> | null = null;
  // A stop is immediate: the SDK's abort only closes stdin, and Claude Code would go on asking its model for a while.
  const stopWith = (status: AgentRunResult['status'], reason: string) => {
    stopReason ??= { status, reason };
    child?.kill('SIGKILL');
    abort.abort();
  };
  const onCancel = () => stopWith('cancelled', 'the run was stopped');
  if (options.signal?.aborted) onCancel();
  options.signal?.addEventListener('abort', onCancel, { once: true });
  const wallTimer = setTimeout(() => stopWith('failed', `hit the wall-time limit (${contract.maxWallSeconds} s)`), contract.maxWallSeconds * 1000);
  wallTimer.unref();

  const control: RunControl = {};
  let usage = zeroUsage();
  let turns = 0;
  let toolCalls = 0;
  let sessionId = options.resume;
  let stderrTail = '';
  // Where this Claude Code keeps its config and sessions (its HOME's .claude, the sandbox's private HOME).
  let configDir: string | null = null;
  /**
   * Waits until Claude Code has saved the session up to the call `marker`:
   * it writes its session file behind the conversation, and a process
   * stopped before that write leaves nothing to resume. Bounded: a session
   * that never shows is caught on resume (the run starts afresh).
   */
  const sessionSaved = async (marker: string): Promise<void> => {
    const deadline = Date.now() + SESSION_SAVE_MS;
    while (Date.now() < deadline && !stopReason) {
      if (configDir && sessionId && sessionHolds(configDir, sessionId, marker)) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const seenMessages = new Set<string>();
  const toolNames = new Map<string, string>();
  const allowedIds = new Set<string>();
  const estimate = !env.ANTHROPIC_API_KEY && !options.baseUrl;

  const end = (result: Omit<ClaudeCodeRunResult, 'usage' | 'turns' | 'toolCalls' | 'toolMs' | 'estimate' | 'sessionId'>): ClaudeCodeRunResult => {
    clearTimeout(wallTimer);
    options.signal?.removeEventListener('abort', onCancel);
    const full: ClaudeCodeRunResult = { ...result, usage, turns, toolCalls, toolMs: 0, estimate, ...(sessionId ? { sessionId } : {}) };
    transcript.write({ t: 'end', executor: 'claude-code', ...full, ms: Date.now() - started });
    bus?.publish({ type: 'agent.end', ...labels, agent: context.agent, status: full.status, reason: full.reason, turns, usage });
    return full;
  };

  let sdk: typeof import('@anthropic-ai/claude-agent-sdk');
  try {
    sdk = await import('@anthropic-ai/claude-agent-sdk');
  } catch (error) {
    // Left out of the default install (its bundled 235 MB binary is never used): the operator adds it.
    return end({
      status: 'failed',
      reason: `the Claude Code Agent SDK is not installed (${errorMessage(error)}); add it next to master: npm install @anthropic-ai/claude-agent-sdk@0.3.197`,
      denials: [],
    });
  }

  // The Agent SDK's `tool()` is typed for classic zod shapes only; at run time it reads any zod 4 schema
  // (mini ones included) through `_zod`, as the MCP SDK under it does. So our mini shapes pass through this cast,
  // the one place the codebase meets classic zod.
  type SdkShape = Parameters<typeof sdk.tool>[2];
  // master's own tools of the palette (Verdict, WikiRead, ProposeFinding…), run by master once the guard hook let them through.
  const ownTools = masterMcpTools(contract)
    .filter((name) => name !== 'AskOperator')
    .flatMap((name) => {
      const definition = getTool(name)!;
      const shape = (definition.input as unknown as { shape?: z.core.$ZodShape }).shape;
      if (!shape) return [];
      return [
        sdk.tool(name, definition.description, shape as unknown as SdkShape, async (args: Record<string, unknown>, extra: unknown) => {
          const parsed = definition.input.safeParse(args);
          let result;
          if (!parsed.success) result = { content: `${name}: its input does not have the expected shape (${parsed.error.issues[0]?.message ?? 'invalid'})`, isError: true };
          else {
            try {
              result = await definition.run(parsed.data, { ...context, contract, control, toolUseId: toolUseIdOf(extra) ?? `${name}-${Date.now()}` });
            } catch (error) {
              result = { content: `${name} failed: ${errorMessage(error)}`, isError: true };
            }
          }
          return { content: [{ type: 'text' as const, text: result.content }], ...(result.isError ? { isError: true } : {}) };
        }),
      ];
    });

  const askTool = sdk.tool(
    'AskOperator',
    'Ask the operator (a person) a question only they can answer. The run pauses until they answer; their answer comes back as the next message.',
    { question: z.string().check(z.minLength(1)) } as unknown as SdkShape,
    async (args, extra) => {
      const question = String(args.question);
      const id = toolUseIdOf(extra);
      control.asked ??= { question, toolUseId: id ?? `ask-${Date.now()}`, kind: 'agent' };
      // The session stops here, before Claude Code asks its model again, and resumes with the answer:
      // once Claude Code has saved it up to this call, or the resume would find no session.
      await sessionSaved(id ?? question);
      stopWith('blocked', 'asked the operator');
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
      return { content: [{ type: 'text' as const, text: 'Your question went to the operator. Stop here; their answer arrives as the next message.' }] };
    },
  );

  const askServer = sdk.createSdkMcpServer({
    name: MCP_SERVER,
    version: '1.0.0',
    tools: [
      // AskOperator only for a contract whose palette has it (the verifier's has not).
      ...(contract.tools.includes('AskOperator') ? [askTool] : []),
      ...ownTools,
    ],
  });

  const guardDeps = { contract, context, chain: options.chain, control, ...(options.store ? { store: options.store } : {}), ...(bus ? { bus } : {}) };
  const preToolUse = async (input: { tool_name?: string; tool_input?: unknown; tool_use_id?: string }, toolUseId: string | undefined) => {
    const name = String(input.tool_name ?? '');
    const id = toolUseId ?? input.tool_use_id ?? `call-${Date.now()}`;
    const call = { id, name, input: (input.tool_input ?? {}) as Record<string, unknown> };
    toolCalls++;
    toolNames.set(id, masterToolName(name));
    bus?.publish({ type: 'tool.call', ...labels, agent: context.agent, id, tool: masterToolName(name), input: call.input });
    const decision = await decideClaudeCodeCall(call, guardDeps);
    if (decision.allow) {
      allowedIds.add(id);
      // No decision here: Claude Code's permission check still asks canUseTool, the deterministic second layer.
      return { continue: true };
    }
    bus?.publish({ type: 'tool.result', ...labels, agent: context.agent, id, tool: masterToolName(name), isError: true, content: decision.reason, ms: 0, refusedBy: decision.guard });
    transcript.write({ t: 'tool', name, input: call.input, isError: true, content: decision.reason });
    // A guard's question stops the run too, once the session holds the call (so the answer can resume it).
    if (control.asked?.toolUseId === id) void sessionSaved(id).then(() => stopWith('blocked', 'a guard asked the operator'));
    return { hookSpecificOutput: { hookEventName: 'PreToolUse' as const, permissionDecision: 'deny' as const, permissionDecisionReason: decision.reason } };
  };

  // Only calls the hook let through are allowed; anything else (a path the hook never saw) is refused.
  const canUseTool = async (name: string, input: Record<string, unknown>, extra: { toolUseID?: string }) => {
    if (extra.toolUseID && allowedIds.has(extra.toolUseID)) return { behavior: 'allow' as const, updatedInput: input };
    return { behavior: 'deny' as const, message: `${name} was not cleared by master's guard chain` };
  };

  const processEnv: Record<string, string> = { ...QUIET_ENV };
  for (const key of PASSED_ENV) if (env[key]) processEnv[key] = env[key]!;
  if (options.baseUrl) {
    processEnv.ANTHROPIC_BASE_URL = options.baseUrl;
    processEnv.ANTHROPIC_API_KEY = 'scripted-demo-model';
    // The scripted model keys a run's turns by its ticket label (`T-1`, `verify:T-1`, `distill:alpha`), as for the built-in runtime.
    const key = labels.ticket ?? context.ticket?.id;
    if (key) processEnv.ANTHROPIC_CUSTOM_HEADERS = `x-master-ticket: ${key}`;
  }

  const spawnSandboxed = (spawnOptions: { command: string; args: string[]; cwd?: string; env: Record<string, string | undefined> }) => {
    const argv = [spawnOptions.command, ...spawnOptions.args];
    const launch = sandboxLaunch(context, argv, options.sandbox);
    if (!launch.ok) throw new Error(`no OS sandbox for Claude Code: ${launch.reason}`);
    let file = launch.file;
    let args = launch.args;
    const childEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries({ ...spawnOptions.env, ...launch.env })) if (value !== undefined) childEnv[key] = value;
    configDir = childEnv.CLAUDE_CONFIG_DIR ?? path.join(childEnv.HOME ?? os.homedir(), '.claude');
    if (launch.sandboxed && launch.file === 'bwrap') {
      // The operator's login, if any, is visible read-only at the private HOME; master never opens it.
      const policy = buildPolicy(context, options.sandbox);
      const login = path.join(os.homedir(), '.claude', '.credentials.json');
      const extra: string[] = [];
      if (existsSync(login)) {
        mkdirSync(path.join(policy.homeDir, '.claude'), { recursive: true });
        extra.push('--ro-bind', login, path.join(policy.homeDir, '.claude', '.credentials.json'));
      }
      file = 'bwrap';
      args = bwrapArgs(policy, argv);
      const at = args.indexOf('--chdir');
      args = [...args.slice(0, at), ...extra, ...args.slice(at)];
    }
    const started = spawn(file, args, { cwd: spawnOptions.cwd ?? context.cwd, env: childEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    started.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    child = started;
    return started;
  };

  bus?.publish({ type: 'agent.start', ...labels, agent: context.agent, contract: contract.name, model: contract.model, via: 'claude-code' });
  const denials: string[] = [];
  try {
    const run = sdk.query({
      prompt: options.prompt,
      options: {
        pathToClaudeCodeExecutable: options.claudePath,
        cwd: context.cwd,
        settingSources: [],
        systemPrompt: { type: 'preset', preset: 'claude_code', append: options.systemAppend },
        model: contract.model,
        maxTurns: contract.maxTurns,
        permissionMode: 'default',
        tools: claudeCodeBuiltins(contract),
        disallowedTools: ['AskUserQuestion'],
        mcpServers: { [MCP_SERVER]: askServer },
        hooks: {
          PreToolUse: [{ hooks: [async (input, toolUseId) => preToolUse(input as never, toolUseId)] }],
        },
        canUseTool: (name, input, extra) => canUseTool(name, input, extra as { toolUseID?: string }),
        env: processEnv,
        abortController: abort,
        spawnClaudeCodeProcess: spawnSandboxed as never,
        ...(options.resume ? { resume: options.resume } : {}),
      },
    });
    type Result = { subtype: string; is_error: boolean; result?: string; total_cost_usd?: number; permission_denials?: Array<{ tool_name: string; tool_input: unknown }>; errors?: string[] };
    let result = null as Result | null;
    for await (const message of run) {
      if (message.type === 'system' && message.subtype === 'init') {
        sessionId = message.session_id;
        transcript.write({ t: 'meta', executor: 'claude-code', session: message.session_id, claudeCode: message.claude_code_version, tools: message.tools });
      } else if (message.type === 'assistant') {
        const msg = message.message;
        if (!seenMessages.has(msg.id)) {
          seenMessages.add(msg.id);
          turns++;
          usage = addUsage(usage, usageFromResponse(msg.usage, contract.model, options.baseUrl ? 'scripted' : 'anthropic'));
        }
        const content: Array<Record<string, unknown>> = [];
        for (const block of msg.content) {
          if (block.type === 'text' && block.text) {
            bus?.publish({ type: 'agent.text', ...labels, agent: context.agent, text: block.text });
            content.push({ type: 'text', text: block.text });
          } else if (block.type === 'tool_use') {
            content.push({ type: 'tool_use', id: block.id, name: block.name, input: block.input });
          }
        }
        if (content.length) transcript.write({ t: 'message', message: { role: 'assistant', content } as unknown as MessageParam });
        if (totalTokens(usage) >= contract.maxTokens) stopWith('failed', `hit the token limit (${totalTokens(usage)} of ${contract.maxTokens} tokens) before finishing`);
        const over = options.budget?.(usage);
        if (over) stopWith('budget', over);
      } else if (message.type === 'user') {
        const content = message.message.content;
        if (Array.isArray(content)) {
          for (const block of content as Array<{ type: string; tool_use_id?: string; content?: unknown; is_error?: boolean }>) {
            if (block.type !== 'tool_result') continue;
            const text = typeof block.content === 'string' ? block.content : JSON.stringify(block.content ?? '');
            const id = String(block.tool_use_id);
            // A refused call was already reported by the hook.
            if (!allowedIds.has(id)) continue;
            bus?.publish({ type: 'tool.result', ...labels, agent: context.agent, id, tool: toolNames.get(id) ?? '?', isError: !!block.is_error, content: text.slice(0, 2000), ms: 0 });
          }
          transcript.write({ t: 'message', message: { role: 'user', content } as MessageParam });
        }
      } else if (message.type === 'result') {
        result = message as unknown as Result;
      }
    }
    if (stopReason) return stopped(stopReason);
    if (!result) return end({ status: 'failed', reason: `Claude Code ended without a result${stderrTail ? `: ${stderrTail.trim().slice(-300)}` : ''}`, denials });
    for (const denial of result.permission_denials ?? []) denials.push(`${denial.tool_name} ${JSON.stringify(denial.tool_input).slice(0, 200)}`);
    if (result.subtype === 'success' && !result.is_error) {
      // A tool that ends the run (Verdict) gave the summary; else Claude Code's last words.
      const text = control.finished?.summary ?? ((result.result ?? '').trim() || 'Claude Code ended its turn without a summary');
      // Refused calls are part of the record: the summary says what Claude Code was not allowed to do.
      const summary = denials.length ? `${text}\n(${denials.length} call${denials.length === 1 ? ' was' : 's were'} refused: ${denials.join('; ')})` : text;
      return end({ status: 'finished', summary, denials });
    }
    const said = [result.result, ...(result.errors ?? [])].filter(Boolean).join('; ');
    if (LOGGED_OUT.test(said))
      return end({ status: 'rejected-key', reason: `Claude Code is not logged in or its key was refused (${said.slice(0, 200)}); log in with \`claude\` yourself, master never does`, denials });
    if (result.subtype === 'error_max_turns') return end({ status: 'failed', reason: `hit the turn limit (${contract.maxTurns} turns) before finishing`, denials });
    return end({ status: 'failed', reason: `Claude Code failed (${result.subtype}): ${said.slice(0, 500) || 'no reason given'}`, denials });
  } catch (error) {
    if (stopReason) return stopped(stopReason);
    const said = `${errorMessage(error)}${stderrTail ? ` (${stderrTail.trim().slice(-300)})` : ''}`;
    if (LOGGED_OUT.test(said)) return end({ status: 'rejected-key', reason: `Claude Code is not logged in (${said.slice(0, 200)}); log in with \`claude\` yourself, master never does`, denials });
    return end({ status: 'failed', reason: `Claude Code could not run: ${said}`, denials });
  }

  function stopped(why: { status: AgentRunResult['status']; reason: string }): ClaudeCodeRunResult {
    if (why.status === 'blocked' && control.asked) {
      const { question, toolUseId, kind, approves, choices } = control.asked;
      return end({ status: 'blocked', question: { text: question, toolUseId, ...(kind ? { kind } : {}), ...(approves ? { approves } : {}), ...(choices ? { choices } : {}) }, denials });
    }
    return end({ status: why.status, reason: why.reason, denials });
  }
}

/** The id of the call an in-process MCP tool runs for (Claude Code passes it in the request's _meta). */
function toolUseIdOf(extra: unknown): string | undefined {
  const id = (extra as { _meta?: Record<string, unknown> } | undefined)?._meta?.['claudecode/toolUseId'];
  return typeof id === 'string' ? id : undefined;
}

export { ASK_OPERATOR_TOOL };
