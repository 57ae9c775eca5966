// A git killed with its session leaves `index.lock` in a checkout's git dir, and every later git command there
// fails. The doctor names such a lock, and `doctor --fix` (and the next `master start`) removes it — but never
// one a live git process holds.
import { spawn } from 'node:child_process';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/doctor/index.js';
import { removeStaleRepoIndexLocks } from '../src/git/indexLock.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { makeRepo, makeWorkspace } from './helpers/workspace.js';
import { execFileSync } from 'node:child_process';

function workspace(): string {
  const home = makeWorkspace({ brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }] });
  if (!existsSync(path.join(home, 'repos/alpha-app/.git'))) makeRepo(path.join(home, 'repos/alpha-app'));
  return home;
}

/** A lock file as a killed git leaves it: there, and not touched for a minute. */
function leaveLock(file: string): void {
  writeFileSync(file, '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(file, old, old);
}

/** A live process holding `file` open, as git holds its lock; resolves once it has it open. */
async function holder(file: string): Promise<{ stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', `require('fs').openSync(${JSON.stringify(file)}, 'r'); console.log('held'); setInterval(() => {}, 1000)`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stop: () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

describe('a stale git index.lock', () => {
  it('is named by the doctor and removed by --fix in the primary checkout and a worktree; a held one stays', async () => {
    const home = workspace();
    const repo = path.join(home, 'repos/alpha-app');
    execFileSync('git', ['-C', repo, 'worktree', 'add', '-q', '-b', 'master/T-9', path.join(home, 'wt-9')]);
    const primaryLock = path.join(repo, '.git', 'index.lock');
    const worktreeLock = path.join(repo, '.git', 'worktrees', 'wt-9', 'index.lock');
    leaveLock(primaryLock);
    leaveLock(worktreeLock);
    // A commit in the primary checkout fails while the lock is there.
    expect(() => execFileSync('git', ['-C', repo, 'commit', '--allow-empty', '-qm', 'x'], { stdio: 'pipe' })).toThrow(/index\.lock/);

    const held = await holder(worktreeLock);
    try {
      const report = await runDoctor({ paths: workspacePaths(home) });
      const check = report.checks.find((c) => c.id === 'repos.checkouts')!;
      expect(check.status).toBe('warn');
      expect(check.message).toContain(primaryLock);
      expect(check.message).not.toContain(worktreeLock);

      const fixed = await runDoctor({ paths: workspacePaths(home) }, { fix: true });
      expect(fixed.fixed.join('\n')).toContain(`removed ${primaryLock}`);
      expect(existsSync(primaryLock)).toBe(false);
      expect(existsSync(worktreeLock)).toBe(true);
      execFileSync('git', ['-C', repo, 'commit', '--allow-empty', '-qm', 'x'], { stdio: 'pipe' });
    } finally {
      await held.stop();
    }
    // Its holder gone, the worktree's lock is stale too: what the next session's start removes.
    const removed = await removeStaleRepoIndexLocks([{ id: 'alpha-app', path: repo }]);
    expect(removed).toEqual([worktreeLock]);
    expect(existsSync(worktreeLock)).toBe(false);
  });

  it('a fresh lock is left alone: git closes it just before renaming it into place', async () => {
    const home = workspace();
    const repo = path.join(home, 'repos/alpha-app');
    writeFileSync(path.join(repo, '.git', 'index.lock'), '');
    expect(await removeStaleRepoIndexLocks([{ id: 'alpha-app', path: repo }])).toEqual([]);
  });
});
