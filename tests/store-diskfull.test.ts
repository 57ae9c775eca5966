import { execFileSync } from 'node:child_process';
import { fdatasyncSync, openSync, writeSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogIo } from '../src/state/eventLog.js';
import { LogWriteError } from '../src/state/fsErrors.js';
import { Store } from '../src/state/store.js';
import { initWorkspace, writeRegistry } from '../src/workspace/init.js';
import { openWorkspace } from '../src/workspace/open.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { master, tempDir } from './helpers/cli.js';
import { makeRepoFolders, makeWorkspace } from './helpers/workspace.js';

const BRANDS = { brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }] };

function logBytes(home: string): string {
  const dir = workspacePaths(home).events;
  let names: string[] = [];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return '';
  }
  return names.map((n) => readFileSync(path.join(dir, n), 'utf8')).join('');
}

/** Real writes, except that write number `failAt` (1-based) hits a full disk: after half its bytes, or at once. */
function fullDiskAt(failAt: number, partial: boolean): LogIo & { calls: number; armed: boolean } {
  const io = {
    calls: 0,
    armed: true,
    open: (file: string) => openSync(file, 'a+'),
    write(fd: number, data: Buffer, offset: number, length: number): number {
      io.calls++;
      if (io.armed && io.calls === failAt && partial && length > 1) return execWrite(fd, data, offset, Math.floor(length / 2));
      if (io.armed && io.calls >= failAt) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return execWrite(fd, data, offset, length);
    },
    sync(fd: number): void {
      syncReal(fd);
    },
  };
  return io;
}

const execWrite = (fd: number, data: Buffer, offset: number, length: number) => writeSync(fd, data, offset, length);
const syncReal = (fd: number) => fdatasyncSync(fd);

describe('an acknowledged change is durable; a write that is not fails clearly and leaves nothing half-written', () => {
  // Six operations: three adds, an approve, an update, an add; every write of the log fails once, whole or half-way.
  for (const partial of [false, true]) {
    it(`a full disk at every write of the log (${partial ? 'after half the line' : 'at once'})`, async () => {
      for (let failAt = 1; failAt <= 8; failAt++) {
        const home = makeWorkspace(BRANDS);
        const io = fullDiskAt(failAt, partial);
        const ws = await openWorkspace(home, { logIo: io });
        const acknowledged: string[] = [];
        let failure: unknown = null;
        const before: string[] = [];
        const steps = [
          () => ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'one' }).id,
          () => ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'two' }).id,
          () => ws.tickets.transition('T-1', 'approve').id + ':approved',
          () => ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'three' }).id,
          () => ws.tickets.update('T-2', () => ({ priority: 'p0' })).id + ':p0',
          () => ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'four' }).id,
        ];
        for (const step of steps) {
          before.push(logBytes(home));
          try {
            acknowledged.push(step());
          } catch (error) {
            failure = error;
            break;
          }
        }
        if (failAt <= 6) {
          expect(failure, `write ${failAt}`).toBeInstanceOf(LogWriteError);
          expect((failure as Error).message).toMatch(/could not record the change: the disk is full .*nothing was recorded — free some space/);
          // Nothing of the failed line remains: the log is byte for byte what it was before the step.
          expect(logBytes(home)).toBe(before.at(-1));
          expect(acknowledged).toHaveLength(failAt - 1);
        }
        io.armed = false;
        // Space is back: the next change goes through and takes the next id (the failed one was never acknowledged).
        const next = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'after' });
        await ws.store.close();
        const rebuilt = await Store.rebuild(workspacePaths(home));
        const tickets = rebuilt.store.state.tickets;
        for (const ack of acknowledged) {
          const [id, what] = ack.split(':');
          expect(tickets[id!], `${ack} at write ${failAt}`).toBeDefined();
          if (what === 'approved') expect(tickets[id!]!.state).toBe('ready');
          if (what === 'p0') expect(tickets[id!]!.priority).toBe('p0');
        }
        expect(tickets[next.id]!.title).toBe('after');
        expect(rebuilt.read.damaged).toEqual([]);
        expect(rebuilt.read.gaps).toEqual([]);
        const ids = Object.keys(tickets);
        expect(new Set(ids).size).toBe(ids.length);
        await rebuilt.store.close();
      }
    });
  }

  it('a failed flush (an I/O error) is a clear failure too, and the line is cut back', async () => {
    const home = makeWorkspace(BRANDS);
    let fail = true;
    const io: LogIo = {
      open: (file) => openSync(file, 'a+'),
      write: (fd, data, offset, length) => writeSync(fd, data, offset, length),
      sync: (fd) => {
        if (fail) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        fdatasyncSync(fd);
      },
    };
    const ws = await openWorkspace(home, { logIo: io });
    expect(() => ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'one' })).toThrow(/could not record the change: an input\/output error/);
    expect(logBytes(home)).toBe('');
    fail = false;
    expect(ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'one' }).id).toBe('T-1');
    await ws.store.close();
  });

  it('a write refused by permissions says so, and nothing is recorded', async () => {
    const home = makeWorkspace(BRANDS);
    const ws = await openWorkspace(home, {
      logIo: {
        open: () => {
          throw Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
        },
        write: () => 0,
        sync: () => undefined,
      },
    });
    expect(() => ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'x' })).toThrow(
      /could not record the change: permission denied .*nothing was recorded — make the workspace folder writable/,
    );
    expect(Object.keys(ws.store.state.tickets)).toEqual([]);
    await ws.store.close();
  });
});

// A real small file system: the disk fills up under real `master ticket add` processes.
const mountPoint = tempDir('master-full-');
let mounted = false;
let mountRefused = '';
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=192k', 'tmpfs', mountPoint], { stdio: 'pipe' });
  mounted = true;
} catch (error) {
  mountRefused = String((error as { stderr?: Buffer }).stderr ?? error).trim() || 'mount failed';
}
afterAll(() => {
  if (mounted) execFileSync('umount', [mountPoint]);
});

describe('a disk that fills up (tmpfs of 192 KiB)', () => {
  it.skipIf(!mounted)(`every acknowledged add survives, every refused one says the disk is full${mounted ? '' : ` (skipped: cannot mount a tmpfs here: ${mountRefused})`}`, () => {
    const home = path.join(mountPoint, 'ws');
    initWorkspace(home);
    writeRegistry(workspacePaths(home), BRANDS as never);
    makeRepoFolders(home, BRANDS as never);
    // Most of the space goes to a filler, so the log hits the end within a few adds.
    writeFileSync(path.join(mountPoint, 'filler'), Buffer.alloc(96 * 1024));
    const body = 'x'.repeat(6000);
    const acknowledged: string[] = [];
    const refusals: string[] = [];
    for (let i = 0; i < 60 && refusals.length < 3; i++) {
      const r = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', `t${i}`, '--body', body, '--json', '--home', home]);
      if (r.code === 0) acknowledged.push(JSON.parse(r.stdout).id);
      else {
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/the disk is full/);
        expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
        refusals.push(r.stderr);
      }
    }
    expect(acknowledged.length).toBeGreaterThan(3);
    expect(refusals.length).toBeGreaterThan(0);
    // Every line on disk is whole; every acknowledged id is there, once.
    for (const line of logBytes(home).split('\n').filter(Boolean)) JSON.parse(line);
    const list = master(['ticket', 'list', '--json', '--home', home]);
    expect(list.code, list.stderr).toBe(0);
    const ids = JSON.parse(list.stdout).map((t: { id: string }) => t.id);
    expect(ids).toEqual(acknowledged);
    // Space freed: the next add gets a new id, never one already acknowledged.
    rmSync(path.join(mountPoint, 'filler'));
    const after = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'after', '--json', '--home', home]);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout).id).toBe(`T-${acknowledged.length + 1}`);
    const doctor = master(['doctor', '--json', '--home', home]);
    const log = JSON.parse(doctor.stdout).checks.find((c: { id: string }) => c.id === 'state.log');
    expect(log.status, log.message).toBe('pass');

    // A read-only file system: refused with that reason, exit 1, never an internal error.
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    const ro = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'ro', '--home', home]);
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(/the file system is read-only/);
    expect(ro.stderr).not.toMatch(/internal error/);
  });
});
