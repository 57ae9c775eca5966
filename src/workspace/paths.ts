import { existsSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

/** Every path inside a workspace, derived from its home folder in one place. */
export interface WorkspacePaths {
  home: string;
  registry: string;
  hooks: string;
  wiki: string;
  data: string;
  events: string;
  state: string;
  archive: string;
  /** Copies of damaged event-log lines, each with a report of where it was and why it was not applied. */
  quarantine: string;
  transcripts: string;
  worktrees: string;
  writeLock: string;
  sessionLock: string;
}

export function workspacePaths(home: string): WorkspacePaths {
  const root = path.resolve(home);
  const data = path.join(root, '.master');
  return {
    home: root,
    registry: path.join(root, 'registry.json'),
    hooks: path.join(root, 'hooks'),
    wiki: path.join(root, 'wiki'),
    data,
    events: path.join(data, 'events'),
    state: path.join(data, 'state.json'),
    archive: path.join(data, 'archive'),
    quarantine: path.join(data, 'quarantine'),
    transcripts: path.join(data, 'transcripts'),
    worktrees: path.join(data, 'worktrees'),
    writeLock: path.join(data, 'write.lock'),
    sessionLock: path.join(data, 'session.lock'),
  };
}

/** The file that marks a folder as a workspace, as `.git` marks a repository. */
export const WORKSPACE_MARKER = 'registry.json';

/**
 * The nearest folder at or above `start` that holds a workspace's
 * registry.json, or null. Found as git finds its repository, so every
 * command works from inside a repo (or any subfolder) of the workspace.
 */
export function findWorkspaceAbove(start: string): string | null {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, WORKSPACE_MARKER))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * The workspace folder: `--home`, else `MASTER_HOME` (when set and not
 * empty), else the nearest folder with a registry.json at or above the
 * current directory, else the current directory itself (whose missing
 * registry then says how to make one).
 */
export function resolveHome(option: string | undefined, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  if (option) return path.resolve(option);
  if (env.MASTER_HOME) return path.resolve(env.MASTER_HOME);
  return findWorkspaceAbove(cwd) ?? path.resolve(cwd);
}

/**
 * How long a command waits for another process's write lock before it gives
 * up busy (exit 3): `MASTER_LOCK_WAIT` seconds, else the store's default.
 * A script that would rather fail fast than wait sets it low.
 */
export function lockWaitMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.MASTER_LOCK_WAIT;
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UserError(`MASTER_LOCK_WAIT=${raw}: give a number of seconds (e.g. 15)`);
  return Math.round(seconds * 1000);
}
