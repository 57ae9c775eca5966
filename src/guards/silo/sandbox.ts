import type { ToolContext } from '../types.js';
import type { Registry } from '../../registry/schema.js';
import { bwrapArgs, buildPolicy, sandboxOff, sandboxStatus } from '../../sandbox/index.js';

/**
 * The OS sandbox now lives in src/sandbox (one policy for every command an
 * agent, a script ticket or a gate check starts); silo layer 4 for Bash is
 * that policy's hidden folders. Kept here for the guards that ask about it.
 */
export { sandboxStatus, resetSandboxProbe, type SandboxStatus } from '../../sandbox/index.js';

/**
 * Whether the OS sandbox runs the agents' commands: it works here and the
 * registry does not switch it off. The one place that decides it (the guards'
 * static reading relaxes to a pre-filter only when this holds).
 */
export function sandboxEnforced(registry: Pick<Registry, 'sandbox'>): boolean {
  return !sandboxOff(registry) && sandboxStatus().available;
}

/**
 * Whether this caller's Bash commands run inside master's OS sandbox: the
 * runtime wraps them (see `sandboxLaunch`), Claude Code runs its own, so a
 * `master guard` call never counts as sandboxed.
 */
export function bashSandboxed(context: ToolContext): boolean {
  return context.agent !== 'claude-code' && sandboxEnforced(context.registry);
}

/**
 * The bubblewrap argv that runs a Bash command for this caller, or null where
 * bubblewrap does not work (what the guards' tests look at; spawning goes
 * through `sandboxLaunch`, which also honours `"sandbox": "off"`).
 */
export function sandboxBashArgv(context: ToolContext, command: string, shell = 'bash'): { file: string; args: string[] } | null {
  const status = sandboxStatus();
  if (!status.available || status.via !== 'bubblewrap') return null;
  return { file: 'bwrap', args: bwrapArgs(buildPolicy(context), [shell, '-c', command]) };
}
