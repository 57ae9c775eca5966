import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../src/doctor/index.js';
import { FOREIGN_LEASE_MS, FileLock, bootId, processStart } from '../src/state/lock.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { master } from './helpers/cli.js';
import { makeWorkspaceWithFolders } from './helpers/workspace.js';

// A live process that is not the lock's holder: its pid stands for a pid the kernel handed out again.
const other = spawn('sleep', ['600'], { stdio: 'ignore' });
afterAll(() => void other.kill('SIGKILL'));

function workspace(): string {
  return makeWorkspaceWithFolders({ brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }] });
}

function writeHolder(file: string, fields: Record<string, unknown>): void {
  writeFileSync(file, JSON.stringify({ host: hostname(), token: 'old', at: '2026-01-01T00:00:00.000Z', ...fields }));
}

describe('lock identity', () => {
  it('a lock records its process start time and the boot id', () => {
    const ws = workspace();
    const lock = new FileLock(workspacePaths(ws).writeLock, 'write');
    expect(lock.tryAcquire().ok).toBe(true);
    const holder = JSON.parse(readFileSync(workspacePaths(ws).writeLock, 'utf8'));
    expect(holder.start).toBe(processStart(process.pid));
    expect(holder.boot).toBe(bootId());
    lock.release();
  });

  it('a lock whose pid now belongs to another live process is stale: doctor reports it, --fix releases it, writes go on', async () => {
    const home = workspace();
    const paths = workspacePaths(home);
    const real = processStart(other.pid!);
    expect(real).not.toBeNull();
    writeHolder(paths.writeLock, { pid: other.pid, start: String(Number(real) - 1000), boot: bootId(), purpose: 'write' });

    const report = await runDoctor({ paths });
    const check = report.checks.find((c) => c.id === 'locks.alive')!;
    expect(check.status).toBe('warn');
    expect(check.message).toMatch(/write\.lock is stale: pid \d+ now belongs to another process/);

    const fixed = await runDoctor({ paths }, { fix: true });
    expect(fixed.fixed.join('\n')).toMatch(/released write\.lock \(pid \d+ now belongs to another process/);
    expect(existsSync(paths.writeLock)).toBe(false);

    // And without the doctor, the next writer takes it over instead of waiting and failing busy.
    writeHolder(paths.writeLock, { pid: other.pid, start: String(Number(real) - 1000), boot: bootId() });
    const add = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'goes on', '--home', home]);
    expect(add.code, add.stderr).toBe(0);
  });

  it('a lock taken before the machine restarted is stale; the live holder with its own identity is not', () => {
    const home = workspace();
    const file = workspacePaths(home).writeLock;
    writeHolder(file, { pid: other.pid, start: processStart(other.pid!), boot: 'another-boot' });
    const taker = new FileLock(file);
    expect(taker.tryAcquire()).toMatchObject({ ok: true, tookOver: { boot: 'another-boot' } });
    taker.release();

    writeHolder(file, { pid: other.pid, start: processStart(other.pid!), boot: bootId() });
    expect(new FileLock(file).tryAcquire()).toMatchObject({ ok: false, holder: { pid: other.pid } });
  });

  it('a holder that cannot be identified (no start time recorded) is a lease: held while renewed, stale once it runs out', () => {
    const home = workspace();
    const file = workspacePaths(home).writeLock;
    writeHolder(file, { pid: other.pid });
    expect(new FileLock(file).tryAcquire().ok).toBe(false);
    const longAgo = new Date(Date.now() - FOREIGN_LEASE_MS - 60_000);
    utimesSync(file, longAgo, longAgo);
    const taker = new FileLock(file);
    expect(taker.tryAcquire().ok).toBe(true);
    taker.release();
  });
});
