import { spawn } from 'node:child_process';
import type { GuardDecision, ToolCall, ToolContext, ToolResult } from './types.js';
import type { HookSpec } from './hookFile.js';

/**
 * External hook commands, exactly as Claude Code runs them: through the shell,
 * with the operator's environment plus CLAUDE_PROJECT_DIR, in the worktree,
 * Claude Code's hook JSON on stdin. Exit 2 blocks (stderr is the reason);
 * exit 0 may answer with JSON (`hookSpecificOutput.permissionDecision`
 * deny/allow/ask, or the older `decision: "block"`). Unlike Claude Code, a
 * PreToolUse hook that crashes, is killed or times out blocks (fail closed).
 */

const OUTPUT_CAP = 64 * 1024;

export interface HookRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** The command could not be started at all. */
  spawnError?: string;
  ms: number;
}

/** Claude Code's hook input for a call. */
export function hookInput(event: HookSpec['event'], call: ToolCall, context: ToolContext, result?: ToolResult): Record<string, unknown> {
  const input: Record<string, unknown> = {
    session_id: context.sessionId,
    transcript_path: context.transcriptPath ?? '',
    cwd: context.cwd,
    hook_event_name: event,
    tool_name: call.name,
    tool_input: call.input,
    tool_use_id: call.id,
  };
  if (result) input.tool_response = { content: result.content, is_error: result.isError };
  return input;
}

/** Runs a hook command with the JSON on stdin; never rejects. */
export function runHookCommand(
  command: string,
  input: Record<string, unknown>,
  options: { cwd: string; projectDir: string; timeoutSeconds: number; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<HookRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const finish = (run: Omit<HookRun, 'stdout' | 'stderr' | 'timedOut' | 'ms'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...run, stdout, stderr, timedOut, ms: performance.now() - started });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, {
        shell: true,
        cwd: options.cwd,
        env: { ...(options.env ?? process.env), CLAUDE_PROJECT_DIR: options.projectDir },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group, so a timeout kills the whole pipeline, not just the shell.
        detached: true,
      });
    } catch (error) {
      resolve({ code: null, signal: null, stdout, stderr, timedOut, spawnError: (error as Error).message, ms: 0 });
      return;
    }
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutSeconds * 1000);
    const onAbort = () => kill();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout!.on('data', (chunk: Buffer) => {
      if (stdout.length < OUTPUT_CAP) stdout += chunk.toString('utf8');
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < OUTPUT_CAP) stderr += chunk.toString('utf8');
    });
    child.on('error', (error) => finish({ code: null, signal: null, spawnError: error.message }));
    child.on('close', (code, signal) => finish({ code, signal }));
    // A hook that does not read its stdin closes the pipe: not an error.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify(input));
  });
}

/** What a PreToolUse hook's run means for the call. */
export function decisionOf(run: HookRun, guard: string, timeoutSeconds: number): GuardDecision {
  const stderr = run.stderr.trim();
  const deny = (reason: string): GuardDecision => ({ verdict: 'deny', guard, reason });
  if (run.spawnError) return deny(`the hook command could not start (${run.spawnError}); a guard that cannot run blocks`);
  if (run.timedOut) return deny(`the hook command timed out after ${timeoutSeconds} s and was killed; a guard that cannot answer blocks`);
  if (run.signal) return deny(`the hook command was killed (${run.signal}); a guard that cannot answer blocks`);
  if (run.code === 2) return deny(stderr || 'blocked by the hook (exit 2)');
  if (run.code !== 0) {
    return deny(`the hook command failed (exit ${run.code})${stderr ? `: ${stderr.split('\n').slice(-3).join(' ')}` : ''}; a guard that fails blocks`);
  }
  const text = run.stdout.trim();
  if (!text.startsWith('{')) return { verdict: 'allow', guard, reason: 'the hook exited 0' };
  let answer: Record<string, unknown>;
  try {
    answer = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { verdict: 'allow', guard, reason: 'the hook exited 0 (its output is not JSON)' };
  }
  const specific = (answer.hookSpecificOutput ?? {}) as Record<string, unknown>;
  const decision = specific.permissionDecision;
  const reason = typeof specific.permissionDecisionReason === 'string' ? specific.permissionDecisionReason : typeof answer.reason === 'string' ? answer.reason : '';
  if (decision === 'deny') return deny(reason || 'denied by the hook');
  if (decision === 'ask') return { verdict: 'ask', guard, reason: reason || 'the hook asks the operator' };
  if (answer.decision === 'block') return deny(reason || 'blocked by the hook');
  if (answer.continue === false) return deny(typeof answer.stopReason === 'string' ? answer.stopReason : reason || 'the hook stopped the run');
  if (decision === 'allow' || answer.decision === 'approve') return { verdict: 'allow', guard, reason: reason || 'allowed by the hook' };
  return { verdict: 'allow', guard, reason: 'the hook exited 0' };
}
