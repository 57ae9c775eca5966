import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileLock } from '../src/state/lock.js';
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
