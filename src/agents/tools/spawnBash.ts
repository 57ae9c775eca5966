import { spawn } from 'node:child_process';
import { gitIdentityEnv } from '../../git/identity.js';
import { sandboxLaunch, type Launch } from '../../sandbox/index.js';
import type { ToolContext } from '../../guards/types.js';

/** The combined output a command may return to the model, in characters (head and tail kept). */
export const OUTPUT_CAP = 30_000;
const KILL_GRACE_MS = 2000;

export interface BashOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved as they came, capped to OUTPUT_CAP with the middle cut out. */
  output: string;
  timedOut: boolean;
  /** Stopped by the run's AbortSignal (cancel, wall time). */
  killed: boolean;
  durationMs: number;
}

/**
 * How a command runs: `bash -c COMMAND` inside the OS sandbox built for this
 * caller (src/sandbox), unconfined only when the operator set `"sandbox":
 * "off"`, and not at all where the sandbox cannot run. Every agent Bash
 * call, script-ticket command and gate check comes through here.
 */
export function bashLaunch(context: ToolContext, command: string): Launch {
  return sandboxLaunch(context, ['bash', '-c', command]);
}

/** The argv a command runs as (empty when it may not run: see `bashLaunch`). */
export function bashArgv(context: ToolContext, command: string): string[] {
  const launch = bashLaunch(context, command);
  return launch.ok ? [launch.file, ...launch.args] : [];
}

/** The environment of agent commands: the operator's, minus model credentials, committing as the registry's author. */
export function bashEnv(context: ToolContext): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('ANTHROPIC_')) continue;
    env[key] = value;
  }
  Object.assign(env, gitIdentityEnv(context.registry.git.author));
  if (context.ticket) env.MASTER_TICKET = context.ticket.id;
  if (context.brand) env.MASTER_BRAND = context.brand;
  return env;
}

/** Signals the command's process group; `groupOnly` once bash is reaped (its pid alone may be reused). */
function killGroup(pid: number, signal: NodeJS.Signals, groupOnly = false): void {
  try {
    process.kill(-pid, signal);
  } catch {
    if (groupOnly) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Keeps the first and last half of a long output. */
class CappedOutput {
  private head = '';
  private tail = '';
  private dropped = 0;
  constructor(private readonly cap: number) {}

  push(text: string): void {
    const half = this.cap / 2;
    if (this.head.length < half) {
      const room = half - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
      if (!text) return;
    }
    this.tail += text;
    if (this.tail.length > half * 2) {
      const cut = this.tail.length - half;
      this.dropped += cut;
      this.tail = this.tail.slice(cut);
    }
  }

  text(): string {
    if (this.head.length + this.tail.length <= this.cap && this.dropped === 0) return this.head + this.tail;
    const half = this.cap / 2;
    const cut = this.dropped + Math.max(0, this.tail.length - half);
    return `${this.head}\n… (${cut} characters cut) …\n${this.tail.slice(-half)}`;
  }
}

/**
 * Runs a command with `bash -c` in the context's cwd, in its own process
 * group so a timeout, a cancel or the command's end stops everything it
 * started (background jobs do not outlive it).
 */
/** How long to wait for the output pipes to close after bash itself exited. */
const PIPE_GRACE_MS = 2000;

export function spawnBash(context: ToolContext, command: string, timeoutMs: number): Promise<BashOutcome> {
  const started = Date.now();
  const launch = bashLaunch(context, command);
  if (!launch.ok) {
    return Promise.resolve({ exitCode: null, signal: null, output: `not run: ${launch.reason}`, timedOut: false, killed: false, durationMs: 0 });
  }
  const { file, args } = launch;
  return new Promise((resolve) => {
    const output = new CappedOutput(OUTPUT_CAP);
    let timedOut = false;
    let killed = false;
    let settled = false;
    const child = spawn(file, args, {
      cwd: context.cwd,
      env: { ...bashEnv(context), ...launch.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const stop = () => {
      if (child.pid === undefined) return;
      killGroup(child.pid, 'SIGTERM');
      const exited = () => child.exitCode !== null || child.signalCode !== null;
      setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL', exited()), KILL_GRACE_MS).unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => {
      killed = true;
      stop();
    };
    context.signal?.addEventListener('abort', onAbort, { once: true });
    if (context.signal?.aborted) onAbort();
    child.stdout.setEncoding('utf8').on('data', (text: string) => output.push(text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => output.push(text));
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, extra = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      context.signal?.removeEventListener('abort', onAbort);
      // Whatever the group still holds (a background job, `nohup … &`) goes with the command.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL', true);
      if (extra) output.push(extra);
      resolve({ exitCode, signal, output: output.text(), timedOut, killed, durationMs: Date.now() - started });
    };
    child.on('error', (error) => finish(null, null, `could not start bash: ${error.message}`));
    // When bash exits, a background job it left may still hold the output pipes open: end the group
    // now, so the command neither leaves processes behind nor waits for them until its timeout.
    child.on('exit', (code, signal) => {
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL', true);
      // A job that left the group (`setsid x &`) can still hold the pipes: stop waiting for them shortly.
      setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish(code, signal, '\n[output cut: a process the command started outside its group kept the output open]');
      }, PIPE_GRACE_MS).unref();
    });
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** How a command ended, in words, for the model and for run reasons. */
export function describeOutcome(outcome: BashOutcome, timeoutMs: number): string {
  if (outcome.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)} s and was killed`;
  if (outcome.killed) return 'was stopped (the run was cancelled or hit its wall-time limit)';
  if (outcome.signal) return `was killed by ${outcome.signal}`;
  if (outcome.exitCode === null) return 'could not run';
  return outcome.exitCode === 0 ? 'exited 0' : `exited ${outcome.exitCode}`;
}
