import { mkdirSync } from 'node:fs';
import { Low } from 'lowdb';
import { BusyError, ExitCode, UserError, errorMessage } from '../errors.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { Bus } from '../bus/index.js';
import { EventLog, LOG_START, type LogPosition } from './eventLog.js';
import type { LogPayload, LoggedEvent } from './events.js';
import { FileLock } from './lock.js';
import { applyEvent } from './reducer.js';
import { AtomicJsonFile } from './snapshotFile.js';
import { STATE_VERSION, emptyState, type State } from './types.js';

/** The snapshot file: the state plus where in the log it ends. */
export interface Snapshot {
  version: number;
  seq: number;
  position: LogPosition;
  state: State;
}

export type Clock = () => Date;

export interface StoreOptions {
  clock?: Clock;
  bus?: Bus;
  /** Write a snapshot once this many events accumulated since the last one. */
  snapshotEvery?: number;
  /** How long to wait for the write lock before reporting the workspace busy. */
  lockTimeoutMs?: number;
}

const DEFAULT_SNAPSHOT_EVERY = 500;

/**
 * The workspace state: a snapshot plus the event log replayed after it. A
 * change is committed once its event line is appended and flushed under the
 * write lock; the snapshot is written later, coalesced.
 */
export class Store {
  /** Things a person should know about how the state was loaded (a rebuilt snapshot, a torn line). */
  readonly notices: string[] = [];
  readonly clock: Clock;
  private readonly log: EventLog;
  private readonly writeLock: FileLock;
  private readonly snapshotEvery: number;
  private readonly lockTimeoutMs: number;
  private position: LogPosition = LOG_START;
  private snapshotSeq = 0;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private snapshotWrite: Promise<void> = Promise.resolve();
  private readonly reported = new Set<string>();
  private bus: Bus | undefined;

  private constructor(
    readonly paths: WorkspacePaths,
    private readonly db: Low<Snapshot>,
    public state: State,
    options: StoreOptions,
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.bus = options.bus;
    this.log = new EventLog(paths.events);
    this.writeLock = new FileLock(paths.writeLock, 'write');
    this.snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
  }

  /** Loads the snapshot and replays the log after it; rebuilds a corrupt snapshot from the log. */
  static async open(paths: WorkspacePaths, options: StoreOptions = {}): Promise<Store> {
    const db = Store.snapshotDb(paths);
    let loaded: Snapshot | null = null;
    let problem: string | null = null;
    try {
      loaded = await db.adapter.read();
      if (loaded && !isSnapshot(loaded)) {
        problem = 'it does not have the shape of a state snapshot';
        loaded = null;
      }
    } catch (error) {
      problem = errorMessage(error);
    }
    if (loaded && loaded.version > STATE_VERSION) {
      throw new UserError(
        `${paths.state} was written by a newer master (state version ${loaded.version}; this one reads ${STATE_VERSION}); upgrade master-os`,
      );
    }
    const store = new Store(paths, db, loaded ? loaded.state : emptyState(), options);
    if (loaded) {
      store.position = loaded.position;
      store.snapshotSeq = loaded.seq;
    }
    const replayed = store.catchUp(true);
    if (problem !== null) {
      store.notices.push(
        `${paths.state} was unreadable (${problem}); rebuilt it from the event log (${replayed} events)`,
      );
      await store.writeSnapshot();
    }
    return store;
  }

  /** Rebuilds the state from the event log alone and writes a fresh snapshot. */
  static async rebuild(paths: WorkspacePaths, options: StoreOptions = {}): Promise<{ store: Store; events: number }> {
    const store = new Store(paths, Store.snapshotDb(paths), emptyState(), options);
    const events = store.catchUp(true);
    await store.writeSnapshot();
    return { store, events };
  }

  private static snapshotDb(paths: WorkspacePaths): Low<Snapshot> {
    mkdirSync(paths.events, { recursive: true });
    return new Low<Snapshot>(new AtomicJsonFile<Snapshot>(paths.state), {
      version: STATE_VERSION,
      seq: 0,
      position: LOG_START,
      state: emptyState(),
    });
  }

  attachBus(bus: Bus): void {
    this.bus = bus;
  }

  now(): string {
    return this.clock().toISOString();
  }

  /**
   * Runs `decide` under the write lock on state caught up with every other
   * process, appends the events it returns and applies them. The returned
   * events are durable when this returns.
   */
  commit<T>(decide: (state: State) => { events: LogPayload[]; result: T }): T {
    const lock = this.writeLock.acquireSync(this.lockTimeoutMs);
    if (!lock.ok) {
      throw new BusyError(
        `the workspace's write lock is held by pid ${lock.holder?.pid ?? 'unknown'} for over ${Math.round(this.lockTimeoutMs / 1000)} s; try again, or run \`master doctor --fix\` if that process is stuck`,
      );
    }
    let logged: LoggedEvent[] = [];
    let result: T;
    try {
      this.catchUp(false);
      const decided = decide(this.state);
      result = decided.result;
      if (decided.events.length > 0) {
        const at = this.now();
        let seq = this.state.seq;
        logged = decided.events.map((payload) => ({ ...payload, seq: ++seq, at }) as LoggedEvent);
        try {
          this.position = this.log.append(logged, at.slice(0, 10));
        } catch (error) {
          // The write may have reached the log before the flush failed: take in whatever is there.
          logged = [];
          this.catchUp(false);
          throw new UserError(
            `could not write the event log in ${this.paths.events} (${errorMessage(error)}); the change may or may not be recorded: check with \`master ticket list\` before repeating it`,
            ExitCode.failed,
          );
        }
        for (const event of logged) applyEvent(this.state, event);
      }
    } finally {
      this.writeLock.release();
    }
    for (const event of logged) this.bus?.publish(event);
    this.maybeSnapshot();
    return result;
  }

  /**
   * Resolves when the write lock is free, waiting asynchronously (a UI awaits
   * this before a commit so it keeps drawing while another process holds it);
   * rejects busy after the lock timeout.
   */
  async writable(): Promise<void> {
    if (!(await this.writeLock.waitUntilFree(this.lockTimeoutMs))) {
      const holder = FileLock.holder(this.paths.writeLock);
      throw new BusyError(
        `the workspace's write lock is held by pid ${holder?.pid ?? 'unknown'} for over ${Math.round(this.lockTimeoutMs / 1000)} s; try again, or run \`master doctor --fix\` if that process is stuck`,
      );
    }
  }

  /** Appends audit events (no state change besides the sequence). */
  record(...payloads: LogPayload[]): void {
    this.commit(() => ({ events: payloads, result: undefined }));
  }

  /** Applies what other processes appended since the last look (no lock needed to read). */
  refresh(): number {
    return this.catchUp(false);
  }

  private catchUp(initial: boolean): number {
    let read = this.log.readFrom(this.position);
    const first = read.events[0];
    if (first && first.seq !== this.state.seq + 1 && this.state.seq > 0 && first.seq <= this.state.seq) {
      // The snapshot's position no longer matches the log: read it all, skipping what is included.
      read = this.log.readFrom(LOG_START);
    }
    for (const problem of read.problems) {
      if (this.reported.has(problem)) continue;
      this.reported.add(problem);
      this.notices.push(problem);
    }
    let applied = 0;
    for (const event of read.events) {
      if (event.seq <= this.state.seq) continue;
      applyEvent(this.state, event);
      applied++;
      if (!initial) this.bus?.publish(event);
    }
    this.position = read.position;
    return applied;
  }

  private maybeSnapshot(): void {
    const behind = this.state.seq - this.snapshotSeq;
    if (behind >= this.snapshotEvery) {
      void this.writeSnapshot();
      return;
    }
    if (this.snapshotTimer) return;
    // A long-running process keeps the snapshot fresh a little after activity stops.
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      void this.writeSnapshot();
    }, 2000);
    this.snapshotTimer.unref();
  }

  /** Writes the snapshot now (serialized with any write in flight). */
  writeSnapshot(): Promise<void> {
    const data: Snapshot = {
      version: STATE_VERSION,
      seq: this.state.seq,
      position: this.position,
      state: this.state,
    };
    // Serialized now: the state keeps changing while the file is written.
    const text = JSON.stringify(data);
    this.snapshotSeq = this.state.seq;
    const adapter = this.db.adapter as AtomicJsonFile<Snapshot>;
    this.snapshotWrite = this.snapshotWrite
      .then(() => adapter.writeText(text))
      .catch((error) => {
        this.notices.push(`could not write ${this.paths.state}: ${errorMessage(error)} (the event log still has every change)`);
      });
    return this.snapshotWrite;
  }

  /** Flushes the snapshot if it fell behind, and stops timers. */
  async close(options: { snapshotIfBehind?: number } = {}): Promise<void> {
    if (this.snapshotTimer) {
      clearTimeout(this.snapshotTimer);
      this.snapshotTimer = null;
    }
    const threshold = options.snapshotIfBehind ?? 1;
    if (this.state.seq - this.snapshotSeq >= threshold) await this.writeSnapshot();
    await this.snapshotWrite;
  }
}

function isSnapshot(value: unknown): value is Snapshot {
  if (!value || typeof value !== 'object') return false;
  const v = value as Partial<Snapshot>;
  return (
    typeof v.version === 'number' &&
    typeof v.seq === 'number' &&
    !!v.position &&
    typeof v.position.file === 'string' &&
    !!v.state &&
    typeof v.state.tickets === 'object'
  );
}
