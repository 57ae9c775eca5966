import { spawn } from 'node:child_process';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverRuns } from '../src/agents/recovery.js';
import { FOREIGN_LEASE_MS, FileLock } from '../src/state/lock.js';
import { zeroUsage } from '../src/state/types.js';
import { openWorkspace } from '../src/workspace/open.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';
import { ROOT, tempDir } from './helpers/cli.js';

function taker(file: string, journal: string, rounds: number): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/fixtures/lock-taker.ts'), file, journal, String(rounds)], { cwd: ROOT, stdio: 'ignore' });
  return new Promise((resolve) => child.on('close', resolve));
}

/** Enter/leave lines must alternate with the same pid: never two holders at once. */
function assertExclusive(journal: string, expectedEntries: number): void {
  const lines = readFileSync(journal, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(expectedEntries * 2);
  for (let i = 0; i < lines.length; i += 2) {
    const [enter, leave] = [lines[i]!.split(' '), lines[i + 1]!.split(' ')];
    expect(enter[0]).toBe('enter');
    expect(leave).toEqual(['leave', enter[1]]);
  }
}

describe('file lock', () => {
  it('excludes across processes, including when they all find a stale lock left by a dead process', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'write.lock');
    const journal = path.join(dir, 'journal.txt');
    writeFileSync(journal, '');
    // A lock whose holder is dead: every taker must go through the takeover, one at a time.
    writeFileSync(file, JSON.stringify({ pid: 999_999, host: hostname(), token: 'dead', at: 'then' }));
    const codes = await Promise.all(Array.from({ length: 4 }, () => taker(file, journal, 25)));
    expect(codes).toEqual([0, 0, 0, 0]);
    assertExclusive(journal, 100);
  });

  it('a live holder is reported, never taken over', () => {
    const dir = tempDir();
    const held = new FileLock(path.join(dir, 'session.lock'), 'session');
    expect(held.tryAcquire().ok).toBe(true);
    const other = new FileLock(path.join(dir, 'session.lock'));
    const attempt = other.tryAcquire();
    expect(attempt).toMatchObject({ ok: false, holder: { pid: process.pid, purpose: 'session' } });
    held.release();
    expect(other.tryAcquire().ok).toBe(true);
  });
});

describe('locks and runs of another host', () => {
  it("another host's lock is a lease: held while renewed, taken over once it runs out", () => {
    const dir = tempDir();
    const file = path.join(dir, 'session.lock');
    writeFileSync(file, JSON.stringify({ pid: 1, host: 'old-container', token: 'theirs', at: 'then' }));
    const mine = new FileLock(file);
    expect(mine.tryAcquire()).toMatchObject({ ok: false, holder: { host: 'old-container' } });
    const longAgo = new Date(Date.now() - FOREIGN_LEASE_MS - 60_000);
    utimesSync(file, longAgo, longAgo);
    expect(mine.tryAcquire()).toMatchObject({ ok: true, tookOver: { host: 'old-container' } });
    mine.release();
  });

  it('a running ticket whose run belongs to another host is requeued once it is older than any run may last', async () => {
    const home = makeSimpleWorkspace();
    const ws = await openWorkspace(home);
    const run = (id: string, startedAt: string) => ({
      id,
      startedAt,
      worktree: path.join(home, 'nowhere'),
      branch: 'master/x',
      owner: { pid: 1, host: 'old-container' },
      usage: zeroUsage(),
      transcript: '',
    });
    const stale = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'left by a dead container', state: 'ready' });
    ws.tickets.transition(stale.id, 'dispatch', { by: 'test', patch: { runs: [run('R-1', new Date(Date.now() - 6 * 3_600_000).toISOString())] } });
    const fresh = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'running on another host now', state: 'ready' });
    ws.tickets.transition(fresh.id, 'dispatch', { by: 'test', patch: { runs: [run('R-2', new Date().toISOString())] } });
    expect(recoverRuns(ws)).toEqual([stale.id]);
    expect(ws.store.state.tickets[stale.id]!.state).toBe('ready');
    expect(ws.store.state.tickets[fresh.id]!.state).toBe('running');
    await ws.store.close();
  });
});
