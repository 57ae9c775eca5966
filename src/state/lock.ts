import { closeSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { StoreWriteError } from './fsErrors.js';

/** Who holds a lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  token: string;
  at: string;
  purpose?: string;
  /** The holder process's start time (clock ticks since boot, from /proc): a pid reused by another process has another. */
  start?: string;
  /** The machine's boot id: after a reboot every pid is someone else's. */
  boot?: string;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or null where there is no /proc. */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

let cachedBoot: string | null | undefined;
/** This boot of the machine (Linux), or null. */
export function bootId(): string | null {
  if (cachedBoot === undefined) {
    try {
      cachedBoot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      cachedBoot = null;
    }
  }
  return cachedBoot;
}

/** Whether a process with this pid is alive on this machine. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): LockHolder | null | 'missing' {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    return typeof parsed.pid === 'number' ? parsed : null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : null;
  }
}

function ageMs(file: string): number {
  try {
    return Date.now() - statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

interface FileIdentity {
  ino: number;
  mtimeMs: number;
}

function identity(file: string): FileIdentity | null {
  try {
    const stat = statSync(file);
    return { ino: stat.ino, mtimeMs: stat.mtimeMs };
  } catch {
    return null;
  }
}

/**
 * How long a lock of another host stays valid without being renewed. Its pid
 * cannot be checked from here (a container restarted with the same workspace
 * gets a new host name), so it is a lease: a long holder renews it.
 */
export const FOREIGN_LEASE_MS = 120_000;

/**
 * Why a lock's holder no longer holds it, or null while it does: its file
 * stayed unreadable too long; another host's lease ran out; this machine
 * rebooted since; its process is gone; its pid now belongs to another process
 * (another start time); or, where the start time cannot be checked, its lease
 * ran out without renewal.
 */
export function staleReason(file: string, holder: LockHolder | null): string | null {
  if (holder === null) return ageMs(file) > 2000 ? 'it has no readable holder' : null;
  if (holder.host !== hostname()) return ageMs(file) > FOREIGN_LEASE_MS ? `its holder on ${holder.host} did not renew its lease` : null;
  const boot = bootId();
  if (holder.boot && boot && holder.boot !== boot) return `it was taken before this machine restarted (pid ${holder.pid})`;
  if (!processAlive(holder.pid)) return `its holder, pid ${holder.pid}, is gone`;
  const start = processStart(holder.pid);
  if (holder.start && start !== null) {
    return start === holder.start ? null : `pid ${holder.pid} now belongs to another process (its holder is gone)`;
  }
  return ageMs(file) > FOREIGN_LEASE_MS ? `its holder, pid ${holder.pid}, cannot be identified and did not renew its lease` : null;
}

function isStale(file: string, holder: LockHolder | null): boolean {
  return staleReason(file, holder) !== null;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * A lock file created with O_EXCL that records its holder's pid. A lock left
 * by a dead process is taken over (through a second O_EXCL file, so two
 * processes never both take over the same stale lock), never waited on forever.
 */
export class FileLock {
  private token: string | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    readonly file: string,
    private readonly purpose?: string,
  ) {}

  get held(): boolean {
    return this.token !== null;
  }

  /** Takes the lock if it is free or stale; otherwise returns who holds it. */
  tryAcquire(): { ok: true; tookOver?: LockHolder } | { ok: false; holder: LockHolder | null } {
    if (this.token) return { ok: true };
    let tookOver: LockHolder | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = randomBytes(8).toString('hex');
      try {
        const fd = openSync(this.file, 'wx');
        try {
          const holder: LockHolder = { pid: process.pid, host: hostname(), token, at: new Date().toISOString() };
          if (this.purpose) holder.purpose = this.purpose;
          const start = processStart(process.pid);
          if (start) holder.start = start;
          const boot = bootId();
          if (boot) holder.boot = boot;
          const data = Buffer.from(JSON.stringify(holder));
          if (writeSync(fd, data) !== data.length) throw Object.assign(new Error('short write'), { code: 'ENOSPC' });
        } catch (error) {
          // A holder nobody can read would be taken over by the next process: give the lock back now, say why.
          closeSync(fd);
          try {
            unlinkSync(this.file);
          } catch {
            // already gone
          }
          throw new StoreWriteError('take the lock', this.file, error);
        }
        closeSync(fd);
        this.token = token;
        return tookOver ? { ok: true, tookOver } : { ok: true };
      } catch (error) {
        if (error instanceof StoreWriteError) throw error;
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreWriteError('take the lock', this.file, error);
      }
      const seen = identity(this.file);
      const holder = readHolder(this.file);
      if (holder === 'missing' || !seen) continue;
      if (!isStale(this.file, holder)) return { ok: false, holder };
      if (!this.removeStale(holder, seen)) return { ok: false, holder };
      if (holder) tookOver = holder;
    }
    const holder = readHolder(this.file);
    return { ok: false, holder: holder === 'missing' ? null : holder };
  }

  /** Spins (sleeping) until the lock is taken or the timeout passes. */
  acquireSync(timeoutMs: number): { ok: true } | { ok: false; holder: LockHolder | null } {
    const deadline = Date.now() + timeoutMs;
    let wait = 1;
    for (;;) {
      const result = this.tryAcquire();
      if (result.ok || Date.now() >= deadline) return result;
      sleepSync(wait);
      wait = Math.min(wait * 2, 20);
    }
  }

  /**
   * Waits without blocking the event loop until the lock looks free (or its
   * holder is stale), up to `timeoutMs`; true when it is. A UI calls this
   * before a commit, so another process's long hold never freezes drawing.
   */
  async waitUntilFree(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let wait = 2;
    for (;;) {
      const holder = readHolder(this.file);
      if (holder === 'missing' || isStale(this.file, holder)) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 50);
    }
  }

  /** Renews the lock's lease while held (for locks held longer than a moment, like a session's). */
  keepAlive(intervalMs = FOREIGN_LEASE_MS / 4): void {
    if (!this.token || this.heartbeat) return;
    this.heartbeat = setInterval(() => {
      try {
        const now = new Date();
        utimesSync(this.file, now, now);
      } catch {
        // gone: release() or a takeover will say so
      }
    }, intervalMs);
    this.heartbeat.unref();
  }

  release(): void {
    if (this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
    if (!this.token) return;
    const holder = readHolder(this.file);
    if (holder && holder !== 'missing' && holder.token === this.token) {
      try {
        unlinkSync(this.file);
      } catch {
        // already gone: nothing to release
      }
    }
    this.token = null;
  }

  private removeStale(stale: LockHolder | null, seen: FileIdentity): boolean {
    const guard = `${this.file}.takeover`;
    let fd: number;
    try {
      fd = openSync(guard, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Another process is taking over; a takeover file older than a few seconds is itself stale.
      if (ageMs(guard) > 3000) {
        try {
          unlinkSync(guard);
        } catch {
          // raced with its owner
        }
      }
      return false;
    }
    try {
      closeSync(fd);
      // Gone meanwhile: another process took it over; create ours (O_EXCL decides), unlink nothing.
      const now = identity(this.file);
      if (!now) return true;
      // Unlink only the very file judged stale: same inode and mtime (a fresh lock that reuses the
      // inode has a new mtime) and, when readable, the same holder token.
      if (now.ino !== seen.ino || now.mtimeMs !== seen.mtimeMs) return false;
      const again = readHolder(this.file);
      if (again === 'missing') return true;
      if (stale !== null && (again === null || again.token !== stale.token)) return false;
      try {
        unlinkSync(this.file);
      } catch {
        // gone already
      }
      return true;
    } finally {
      try {
        unlinkSync(guard);
      } catch {
        // removed by a stale check elsewhere
      }
    }
  }

  /** Reads the current holder without taking the lock. */
  static holder(file: string): LockHolder | null {
    const holder = readHolder(file);
    return holder === 'missing' ? null : holder;
  }
}
