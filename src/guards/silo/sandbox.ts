import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ToolContext } from '../../agents/toolChain.js';
import { allRepos, repoPath } from '../../registry/load.js';
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
 * state, whatever path it computes. Every registered repo's git folder is
 * read-only too, so no command moves main (through the ref files, a
 * worktree's HEAD, or a setting that runs git from inside git); only what a
 * commit on the caller's own ticket branch needs is writable again (see
 * `gitBinds`), and for the gate's checks nothing. With a silo concerning the caller (and
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
  args.push(...gitBinds(context));
  // The bearer token of `master mcp --http`: with it a command could drive the workspace as the operator.
  const token = path.join(context.paths.data, 'mcp-token');
  if (existsSync(token)) args.push('--ro-bind', '/dev/null', token);
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

/** The folder the tickets' branches live in, under refs/heads/ (and logs/refs/heads/). */
const TICKET_BRANCHES = 'master';

/**
 * bwrap arguments that make every registered repo's git folder read-only,
 * then, in the caller's own repo (unless the caller is the gate), writable
 * again: `objects/`, the ticket branches' `refs/heads/master/` and their
 * reflogs, and the caller's worktree's own folder under `worktrees/` (its
 * index, reflog) except its HEAD and the files that tell git where the repo
 * is. So a commit on the checked-out ticket branch works; switching branches
 * or a rebase (which rewrites HEAD) does not.
 * packed-refs, config, hooks, HEAD and refs/heads/<main> stay read-only.
 * The repo is found from the registry, never from the worktree's `.git`
 * file, which the command could have rewritten.
 */
function gitBinds(context: ToolContext): string[] {
  const args: string[] = [];
  const own = context.agent === 'gate' ? null : ownWorktree(context);
  const seen = new Set<string>();
  for (const { repo } of allRepos(context.registry)) {
    const common = realFolder(path.join(repoPath(context.paths.home, repo), '.git'));
    if (!common || seen.has(common)) continue;
    seen.add(common);
    args.push('--ro-bind', common, common);
    if (!own || own.common !== common) continue;
    const writable = [path.join(common, 'objects'), path.join(common, 'refs/heads', TICKET_BRANCHES), path.join(common, 'logs/refs/heads', TICKET_BRANCHES)];
    for (const folder of writable) {
      try {
        mkdirSync(folder, { recursive: true });
      } catch {
        continue;
      }
      args.push('--bind', folder, folder);
    }
    if (own.worktree) {
      args.push('--bind', own.worktree, own.worktree);
      // HEAD too: a HEAD pointed at main would carry the next commit there, in here or in anything run outside later.
      for (const name of ['HEAD', 'commondir', 'gitdir', 'config.worktree']) {
        const file = path.join(own.worktree, name);
        if (existsSync(file)) args.push('--ro-bind', file, file);
      }
    }
  }
  return args;
}

/** The caller's repo's git folder and its worktree's folder in it (none when the root is not a linked worktree). */
function ownWorktree(context: ToolContext): { common: string; worktree: string | null } | null {
  const entry = context.repo ? allRepos(context.registry).find((r) => r.repo.id === context.repo && (!context.brand || r.brand.id === context.brand)) : undefined;
  if (!entry) return null;
  const common = realFolder(path.join(repoPath(context.paths.home, entry.repo), '.git'));
  const root = realFolder(context.root);
  if (!common || !root) return null;
  let names: string[] = [];
  try {
    names = readdirSync(path.join(common, 'worktrees'));
  } catch {
    return { common, worktree: null };
  }
  for (const name of names) {
    try {
      const dotGit = readFileSync(path.join(common, 'worktrees', name, 'gitdir'), 'utf8').trim();
      if (realFolder(path.dirname(dotGit)) === root) return { common, worktree: path.join(common, 'worktrees', name) };
    } catch {
      // a half-made or pruned worktree entry
    }
  }
  return { common, worktree: null };
}
