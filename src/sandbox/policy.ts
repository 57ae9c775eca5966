import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolContext } from '../guards/types.js';
import { deniedReadPaths } from '../guards/deniedPaths.js';
import { contextBrand, siloLayerOn, siloMap } from '../guards/silo/areas.js';
import { allRepos, repoPath } from '../registry/load.js';
import { settingHidden, settingWritable } from './setting.js';

/**
 * What a sandboxed command may touch, as data: the whole file system is
 * readable and nothing is writable unless listed in `writable`; `readOnly`
 * entries stay read-only even inside a writable folder; `hidden` paths are
 * absent (an empty folder, or an empty file). The innermost entry wins, so
 * `.master/` read-only with the ticket's worktree inside it writable, or a
 * repo's git folder read-only with its `objects/` writable, say what they
 * mean; a hidden path beats everything inside it. Platform backends (bwrap,
 * sandbox-exec) turn this into their own form.
 */
export interface SandboxPolicy {
  writable: string[];
  readOnly: string[];
  hidden: string[];
  /** Variables set for the command on top of its usual environment. */
  env: Record<string, string>;
  cwd: string;
  /** The private temp folder (TMPDIR), writable, kept for the ticket's later commands. */
  tempDir: string;
  /** The private HOME, inside the temp folder (the operator's home stays read-only). */
  homeDir: string;
  /** Registry cache entries left out, and why (a cache may not hold the workspace, a repo or the home). */
  notes: string[];
}

/** Extra policy input a caller may add: the wiki area an authority agent may write. */
export interface PolicyExtras {
  wikiWritable?: string[];
}

/** The folder the tickets' branches live in, under refs/heads/ (and logs/refs/heads/). */
const TICKET_BRANCHES = 'master';

export function realPath(target: string): string | null {
  try {
    return realpathSync.native(target);
  } catch {
    return null;
  }
}

function inside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The private temp folder of a caller: one per ticket (the gate's apart), under the workspace's data folder. */
export function privateTempDir(context: Pick<ToolContext, 'paths' | 'ticket' | 'agent' | 'sessionId'>): string {
  const key = context.ticket ? (context.agent === 'gate' ? `gate-${context.ticket.id}` : context.ticket.id) : `${context.agent}-${context.sessionId}`;
  return path.join(context.paths.data, 'tmp', key.replace(/[^A-Za-z0-9._-]/g, '_'));
}

/** Removes a ticket's private temp folders (its runs' and its gate checks'), once its worktree goes. */
export function removePrivateTemp(paths: ToolContext['paths'], ticketId: string): void {
  for (const key of [ticketId, `gate-${ticketId}`]) rmSync(path.join(paths.data, 'tmp', key), { recursive: true, force: true });
}

/**
 * The policy for a command this caller starts: writable only its worktree
 * (the confinement root), what a commit on its own ticket branch needs, its
 * private temp folder and the registry's tool caches; the workspace's control
 * files (`registry.json`, `hooks/`, `.master/`, `wiki/`) and every repo's git
 * folder read-only; a silo's folders hidden from callers of other brands.
 * The repo and its worktree record are found from the registry, never from
 * the worktree's `.git` file, which an earlier command could have rewritten.
 */
export function buildPolicy(context: ToolContext, extras: PolicyExtras = {}): SandboxPolicy {
  const { paths, registry } = context;
  const notes: string[] = [];
  const writable: string[] = [];
  const readOnly: string[] = [];
  const hidden: string[] = [];
  const add = (list: string[], target: string) => {
    const real = realPath(target);
    if (real && !list.includes(real)) list.push(real);
  };

  const tempDir = privateTempDir(context);
  const homeDir = path.join(tempDir, 'home');
  mkdirSync(homeDir, { recursive: true });
  add(writable, tempDir);

  const root = realPath(context.root);
  for (const folder of [context.root, context.cwd]) add(writable, folder);
  if (root) {
    // A worktree's `.git` file names its git folder: rewritten, it would send the next git command elsewhere.
    const dotGit = path.join(root, '.git');
    if (existsSync(dotGit)) add(readOnly, dotGit);
  }

  const operatorHome = os.homedir();
  const repos = allRepos(registry).map(({ repo }) => path.resolve(repoPath(paths.home, repo)));
  const homeReal = realPath(paths.home) ?? paths.home;
  for (const cache of settingWritable(registry, operatorHome)) {
    const holds = [homeReal, realPath(operatorHome) ?? operatorHome, ...repos].find((p) => inside(p, cache));
    if (holds) {
      notes.push(`sandbox.writable "${cache}" left out: it holds ${holds}`);
      continue;
    }
    mkdirSync(cache, { recursive: true });
    add(writable, cache);
  }

  for (const control of [paths.registry, paths.hooks, paths.data, paths.wiki]) add(readOnly, control);
  for (const area of extras.wikiWritable ?? []) add(writable, area);
  readOnly.push(...gitFolders(context, writable));

  if (siloLayerOn(registry, 'runtimeCheck')) {
    for (const area of siloMap(registry, paths).forbidden(contextBrand(context))) {
      for (const folder of [area.path, area.lexical]) {
        if (hidden.includes(folder) || !existsSync(folder) || inside(context.cwd, folder)) continue;
        hidden.push(folder);
      }
    }
  }
  // The bearer token of `master mcp --http`: with it a command could drive the workspace as the operator.
  const token = path.join(paths.data, 'mcp-token');
  if (existsSync(token)) hidden.push(token);
  // What the deny rules forbid reading by a fixed path (`Read(~/.ssh/**)`) is absent too.
  for (const extra of [...settingHidden(registry, operatorHome), ...deniedReadPaths(context)]) {
    if (existsSync(extra) && !inside(context.cwd, extra) && !hidden.includes(extra)) hidden.push(extra);
  }

  const env: Record<string, string> = { TMPDIR: tempDir, TMP: tempDir, TEMP: tempDir, HOME: homeDir };
  // Tool caches named under ~ are reachable at the same place from the private home too.
  for (const entry of settingWritableUnderHome(registry, operatorHome)) {
    const inPrivate = path.join(homeDir, entry.relative);
    mkdirSync(inPrivate, { recursive: true });
    if (writable.includes(entry.absolute)) writable.push(inPrivate);
  }
  return { writable, readOnly, hidden, env, cwd: context.cwd, tempDir, homeDir, notes };
}

function settingWritableUnderHome(registry: ToolContext['registry'], operatorHome: string): Array<{ absolute: string; relative: string }> {
  return settingWritable(registry, operatorHome)
    .filter((p) => inside(p, operatorHome) && p !== operatorHome)
    .map((p) => ({ absolute: realPath(p) ?? p, relative: path.relative(operatorHome, p) }));
}

/**
 * Every registered repo's git folder is read-only; in the caller's own repo
 * (unless the caller is the gate) what a commit on its ticket branch needs is
 * writable again: `objects/`, `refs/heads/master/` and its reflogs, and the
 * worktree's own folder under `worktrees/` (index, logs) except its HEAD and
 * the files that say where the repo is. So a commit on the checked-out ticket
 * branch works; moving main, switching branches, a rebase or new config do not.
 * Returns the read-only entries; pushes the writable ones onto `writable`.
 */
function gitFolders(context: ToolContext, writable: string[]): string[] {
  const readOnly: string[] = [];
  const own = context.agent === 'gate' ? null : ownWorktree(context);
  for (const { repo } of allRepos(context.registry)) {
    const common = realPath(path.join(repoPath(context.paths.home, repo), '.git'));
    if (!common || readOnly.includes(common)) continue;
    readOnly.push(common);
    if (!own || own.common !== common) continue;
    for (const folder of [path.join(common, 'objects'), path.join(common, 'refs/heads', TICKET_BRANCHES), path.join(common, 'logs/refs/heads', TICKET_BRANCHES)]) {
      try {
        mkdirSync(folder, { recursive: true });
      } catch {
        continue;
      }
      writable.push(folder);
    }
    if (!own.worktree) continue;
    writable.push(own.worktree);
    // HEAD too: a HEAD pointed at main would carry the next commit there, in here or in anything run outside later.
    for (const name of ['HEAD', 'commondir', 'gitdir', 'config.worktree']) {
      const file = path.join(own.worktree, name);
      if (existsSync(file)) readOnly.push(file);
    }
  }
  return readOnly;
}

/** The caller's repo's git folder and its worktree's folder in it (none when the root is not a linked worktree). */
function ownWorktree(context: ToolContext): { common: string; worktree: string | null } | null {
  const entry = context.repo ? allRepos(context.registry).find((r) => r.repo.id === context.repo && (!context.brand || r.brand.id === context.brand)) : undefined;
  if (!entry) return null;
  const common = realPath(path.join(repoPath(context.paths.home, entry.repo), '.git'));
  const root = realPath(context.root);
  if (!common || !root) return null;
  return { common, worktree: worktreeAdminDir(common, root) };
}

/**
 * The folder under `<common>/worktrees/` that git keeps for the worktree at
 * `worktree` (found by its `gitdir` record, which lives in the repo's own git
 * folder, not in the worktree), or null.
 */
export function worktreeAdminDir(common: string, worktree: string): string | null {
  let names: string[] = [];
  try {
    names = readdirSync(path.join(common, 'worktrees'));
  } catch {
    return null;
  }
  const target = realPath(worktree) ?? path.resolve(worktree);
  for (const name of names) {
    try {
      const dotGit = readFileSync(path.join(common, 'worktrees', name, 'gitdir'), 'utf8').trim();
      if ((realPath(path.dirname(dotGit)) ?? path.dirname(dotGit)) === target) return path.join(common, 'worktrees', name);
    } catch {
      // a half-made or pruned worktree entry
    }
  }
  return null;
}

/** Whether a path is a folder (hidden folders get an empty folder, hidden files an empty file). */
export function isFolder(target: string): boolean {
  try {
    return statSync(target).isDirectory();
  } catch {
    return false;
  }
}
