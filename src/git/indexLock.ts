import { readdirSync, readlinkSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * git's `index.lock` in a checkout's git dir stops every later git command
 * there ("Another git process seems to be running"). A git killed with its
 * session leaves it behind. One is stale when no live process has it open
 * (git holds the lock file open for as long as it holds the lock) and it is
 * older than a few seconds (git closes it just before renaming it into place).
 */
const MIN_AGE_MS = 5000;
/** Without /proc to see who has a file open, only a lock this old is taken for stale. */
const BLIND_AGE_MS = 10 * 60_000;

/** The `index.lock` files of a repo: its primary checkout's and each worktree's. */
export function indexLocks(commonDir: string): string[] {
  const dirs = [commonDir];
  try {
    for (const name of readdirSync(path.join(commonDir, 'worktrees'))) dirs.push(path.join(commonDir, 'worktrees', name));
  } catch {
    // no linked worktrees
  }
  return dirs
    .map((dir) => path.join(dir, 'index.lock'))
    .filter((file) => {
      try {
        return statSync(file).isFile();
      } catch {
        return false;
      }
    });
}

/** Files some live process has open (from /proc), or null where that cannot be known. */
function openFiles(): Set<string> | null {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return null;
  }
  const open = new Set<string>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to look at
    }
    for (const fd of fds) {
      try {
        open.add(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        // closed meanwhile
      }
    }
  }
  return open;
}

/** Of these lock files, the ones no live process holds: left by a killed git. */
export function staleIndexLocks(files: string[], now = Date.now()): string[] {
  if (files.length === 0) return [];
  const open = openFiles();
  return files.filter((file) => {
    let age: number;
    try {
      age = now - statSync(file).mtimeMs;
    } catch {
      return false;
    }
    if (open === null) return age > BLIND_AGE_MS;
    return age > MIN_AGE_MS && !open.has(file);
  });
}

/** Removes stale index locks; returns the ones removed. */
export function removeStaleIndexLocks(files: string[]): string[] {
  const removed: string[] = [];
  // Checked again right before removing: a git that started meanwhile keeps its lock.
  for (const file of staleIndexLocks(files)) {
    try {
      unlinkSync(file);
      removed.push(file);
    } catch {
      // gone already
    }
  }
  return removed;
}

/** Removes the stale index locks of every repo of the registry (a session starts clean after a killed one). */
export async function removeStaleRepoIndexLocks(repos: Array<{ id: string; path: string }>): Promise<string[]> {
  const { gitDirs } = await import('./refs.js');
  const removed: string[] = [];
  for (const repo of repos) {
    try {
      const { commonDir } = await gitDirs(repo.path, repo.id);
      removed.push(...removeStaleIndexLocks(indexLocks(commonDir)));
    } catch {
      // not a repo: the doctor says so
    }
  }
  return removed;
}
