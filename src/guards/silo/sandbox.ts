import type { ToolContext } from '../../agents/toolChain.js';
import { bwrapArgs, buildPolicy, sandboxStatus } from '../../sandbox/index.js';

/**
 * The OS sandbox now lives in src/sandbox (one policy for every command an
 * agent, a script ticket or a gate check starts); silo layer 4 for Bash is
 * that policy's hidden folders. Kept here for the guards that ask about it.
 */
export { sandboxStatus, resetSandboxProbe, type SandboxStatus } from '../../sandbox/index.js';

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
