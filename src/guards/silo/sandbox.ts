import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import type { ToolContext } from '../../agents/toolChain.js';
import { isInside } from '../pathPolicy.js';
import { contextBrand, siloLayerOn, siloMap } from './areas.js';

/**
 * Silo layer 4 for Bash: the command runs in a bubblewrap sandbox in which
 * the folders this caller must not reach are empty (a fresh tmpfs over each),
 * so even a path computed inside an interpreter finds nothing. The rest of
 * the file system is as usual; the workspace's data folder is read-only.
 */

export type SandboxStatus = { available: true } | { available: false; reason: string };

let probed: SandboxStatus | undefined;

/** Whether bubblewrap exists and works here (user namespaces may be off); probed once per process. */
export function sandboxStatus(): SandboxStatus {
  if (probed) return probed;
  if (process.platform !== 'linux') return (probed = { available: false, reason: `no OS sandbox on ${process.platform} (bubblewrap is Linux only)` });
  const result = spawnSync('bwrap', ['--dev-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--die-with-parent', 'true'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 10_000,
  });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    return (probed = { available: false, reason: code === 'ENOENT' ? 'bubblewrap (bwrap) is not installed' : `bwrap cannot start (${code ?? result.error.message})` });
  }
  if (result.status !== 0) {
    const stderr = result.stderr.toString().trim().split('\n')[0] ?? '';
    return (probed = { available: false, reason: `bwrap does not work here (${stderr || `exit ${result.status}`}); user namespaces may be restricted` });
  }
  return (probed = { available: true });
}

/** Forgets the probe (tests that change PATH). */
export function resetSandboxProbe(): void {
  probed = undefined;
}

/**
 * The argv that runs a Bash command (an agent's, a script ticket's, a gate
 * check's) for this caller in the sandbox, or null when bubblewrap is
 * unavailable (then the command runs as usual, and `siloLayers` reports
 * layer 4 as degraded). Whenever the sandbox works, the workspace's data
 * folder (state snapshot, event log, archive, locks) is read-only, with only
 * the caller's own worktree writable inside it: no command rewrites ticket
 * state, whatever path it computes. With a silo concerning the caller (and
 * the layer on), the silo's folders are empty as well.
 */
export function sandboxBashArgv(context: ToolContext, command: string, shell = 'bash'): { file: string; args: string[] } | null {
  if (!sandboxStatus().available) return null;
  const forbidden = siloLayerOn(context.registry, 'runtimeCheck') ? siloMap(context.registry, context.paths).forbidden(contextBrand(context)) : [];
  const args = ['--dev-bind', '/', '/', '--unshare-pid', '--proc', '/proc', '--die-with-parent'];
  const data = realFolder(context.paths.data);
  if (data) {
    args.push('--ro-bind', data, data);
    const writable = new Set<string>();
    for (const folder of [context.root, context.cwd]) {
      const real = realFolder(folder);
      if (!real || !isInside(real, data) || real === data || writable.has(real)) continue;
      writable.add(real);
      args.push('--bind', real, real);
    }
  }
  const hidden = new Set<string>();
  for (const area of forbidden) {
    for (const folder of [area.path, area.lexical]) {
      if (hidden.has(folder) || !existsSync(folder) || isInside(context.cwd, folder)) continue;
      hidden.add(folder);
      let directory = true;
      try {
        directory = statSync(folder).isDirectory();
      } catch {
        continue;
      }
      if (directory) args.push('--tmpfs', folder);
      else args.push('--ro-bind', '/dev/null', folder);
    }
  }
  args.push('--chdir', context.cwd, shell, '-c', command);
  return { file: 'bwrap', args };
}

function realFolder(folder: string): string | null {
  try {
    return realpathSync.native(folder);
  } catch {
    return null;
  }
}
