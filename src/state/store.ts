import { closeSync, fstatSync, mkdirSync } from 'node:fs';
import { link } from 'node:fs/promises';
import path from 'node:path';
import { Low } from 'lowdb';
import { BusyError, ExitCode, UserError, errorMessage } from '../errors.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { Bus } from '../bus/index.js';
import { readAllArchived } from './archive.js';
import { EventLog, LOG_START, type DamagedLine, type LogIo, type LogPosition, type LogRead } from './eventLog.js';
import type { CommitPayload, LoggedEvent, PlainPayload } from './events.js';
import { eventShapeProblem } from './eventShape.js';
import { LogWriteError } from './fsErrors.js';
import { FileLock } from './lock.js';
import { quarantineLines, quarantineTorn } from './quarantine.js';
import { applyEvent, ticketEventRefusal } from './reducer.js';
import { locateRefusals, refusalSentence, type Refusal } from './refused.js';
import { AtomicJsonFile, SNAPSHOT_VERSION, openTicketFile, removeStaleTicketFiles, serializeTickets, ticketFileName, writeTicketFile, type Snapshot } from './snapshotFile.js';
import { TicketTable, type IndexLine, type TicketSummary } from './ticketTable.js';
import { isMinted, isTicketEvent } from './ticketMint.js';
import { emptyState, type State, type Ticket } from './types.js';

export type { Snapshot } from './snapshotFile.js';

export type Clock = () => Date;

export interface StoreOptions {
  clock?: Clock;
  bus?: Bus;
  /** Write a snapshot once this many events accumulated since the last one. */
  snapshotEvery?: number;
  /** How long to wait for the write lock before reporting the workspace busy. */
  lockTimeoutMs?: number;
  /** The log's write and flush (tests inject a full disk here). */
  logIo?: LogIo;
  /** Only look (the doctor): nothing is written, no damaged line quarantined, no snapshot rebuilt on disk. */
  readOnly?: boolean;
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
  /** Log lines this store read but the reducer refused (e.g. a transition from a state the ticket is not in). */
  readonly refused: DamagedLine[] = [];
  readonly clock: Clock;
  private readonly log: EventLog;
  private readonly writeLock: FileLock;
  private readonly snapshotEvery: number;
  private readonly lockTimeoutMs: number;
  private readonly readOnly: boolean;
  private position: LogPosition = LOG_START;
  private snapshotSeq = 0;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private snapshotWrite: Promise<void> = Promise.resolve();
  private readonly reported = new Set<string>();
  private bus: Bus | undefined;
  /** The hot tickets behind `state.tickets`: parsed from the snapshot's ticket file only when read. */
  private table: TicketTable;
  /** The log replayed to the snapshot's sequence, when a line of its ticket file turned out damaged. */
  private recovered: State | null = null;
  /** The ticket files this process wrote (the last one still named by the snapshot, unless another process wrote since). */
  private readonly ticketFiles = new Set<string>();
  /** The snapshot on disk turned out damaged: it is written anew on close, however little changed. */
  private rewrite = false;
  /**
   * The ticket file of the last snapshot this store read or wrote, and the
   * table's version it holds: a snapshot while the table is still at that
   * version names a hard link of that file instead of writing 100,000 tickets again.
   */
  private lastTickets: { meta: NonNullable<Snapshot['tickets']>; version: number } | null = null;

  private constructor(
    readonly paths: WorkspacePaths,
    private readonly db: Low<Snapshot | null>,
    public state: State,
    options: StoreOptions,
    table?: TicketTable,
  ) {
    this.table = table ?? TicketTable.of(state.tickets);
    this.state.tickets = this.table.tickets;
    this.clock = options.clock ?? (() => new Date());
    this.bus = options.bus;
    this.log = new EventLog(paths.events, options.logIo);
    this.writeLock = new FileLock(paths.writeLock, 'write');
    this.snapshotEvery = options.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 15_000;
    this.readOnly = options.readOnly ?? false;
  }

  /** Loads the snapshot and replays the log after it; rebuilds a corrupt snapshot from the log. */
  static async open(paths: WorkspacePaths, options: StoreOptions = {}): Promise<Store> {
    const db = Store.snapshotDb(paths);
    let loaded: Snapshot | null = null;
    let problem: string | null = null;
    let opened: { fd: number; file: string } | null = null;
    // A writer may replace the snapshot (and remove the ticket file it named) between our two reads: read again.
    for (let attempt = 0; attempt < 3; attempt++) {
      loaded = null;
      problem = null;
      try {
        await db.read();
        loaded = db.data;
        db.data = null;
        if (loaded && !isSnapshot(loaded)) {
          problem = 'it does not have the shape of a state snapshot';
          loaded = null;
        }
      } catch (error) {
        problem = errorMessage(error);
      }
      if (!loaded?.tickets || loaded.version > SNAPSHOT_VERSION) break;
      const found = openTicketFile(paths.state, loaded.tickets);
      if ('fd' in found) {
        const size = fstatSync(found.fd).size;
        if (size === loaded.tickets.bytes) opened = found;
        else {
          closeSync(found.fd);
          problem = `its ticket file ${loaded.tickets.file} has ${size} bytes, not the ${loaded.tickets.bytes} it names`;
          loaded = null;
        }
        break;
      }
      problem = found.problem;
      loaded = null;
      if (!found.missing) break;
    }
    if (loaded && loaded.version > SNAPSHOT_VERSION) {
      throw new UserError(`${paths.state} was written by a newer master (snapshot version ${loaded.version}; this one reads ${SNAPSHOT_VERSION}); upgrade master-os`);
    }
    const matches = loaded ? snapshotMatchesLog(new EventLog(paths.events), loaded) : true;
    let store: Store;
    if (loaded && matches) {
      const base = loaded.seq;
      const source = loaded.tickets && opened ? { ...opened, indexBytes: loaded.tickets.indexBytes } : null;
      const table = source ? new TicketTable(source, (id, why) => store.recoverTicket(id, why, base)) : TicketTable.of(loaded.state.tickets);
      store = new Store(paths, db, loaded.state, options, table);
      store.position = loaded.position;
      store.snapshotSeq = loaded.seq;
      if (source && loaded.tickets) store.lastTickets = { meta: loaded.tickets, version: table.version };
    } else {
      if (opened) closeSync(opened.fd);
      store = new Store(paths, db, emptyState(), options);
    }
    const replayed = store.catchUp(true);
    if (loaded && !matches) {
      // The snapshot claims events the log does not have where it says (a torn or lost line it
      // included): the log is the truth, but no id the snapshot handed out is ever handed out again.
      const hidden = snapshotTicketIds(paths, loaded).filter((id) => !(id in store.state.tickets) && !store.state.archived[id]);
      store.raiseCounters(loaded.state.counters);
      store.raiseCounters({ ticket: store.archivedTicketFloor() });
      store.notices.push(
        `${paths.state} did not match the event log (it includes sequence ${loaded.seq} at ${loaded.position.file || 'the start'}:${loaded.position.offset}, which the log does not have there); rebuilt it from the log (${replayed} events)` +
          (hidden.length
            ? `; in the old snapshot only, not in the log: ${hidden.slice(0, 10).join(', ')}${hidden.length > 10 ? ` and ${hidden.length - 10} more` : ''} (their ids are not reused; \`master doctor\` says more)`
            : ''),
      );
      await store.writeSnapshot();
    }
    if (problem !== null) {
      store.notices.push(`${paths.state} was unreadable (${problem}); rebuilt it from the event log (${replayed} events)`);
      await store.writeSnapshot();
    }
    return store;
  }

  /**
   * A ticket whose line in the snapshot's ticket file is damaged: taken from
   * the log replayed to the snapshot's sequence (the events after it are then
   * applied to it as to any other), and the snapshot is written anew on close.
   */
  private recoverTicket(id: string, why: string, base: number): Ticket | undefined {
    if (!this.recovered) {
      this.notices.push(`${this.paths.state}: ${why}; that ticket was read from the event log instead, and the snapshot is rewritten`);
      const state = emptyState();
      for (const event of this.log.readFrom(LOG_START, 0).events) {
        if (event.seq > base) break;
        applyEvent(state, event);
      }
      this.recovered = state;
      this.rewrite = true;
    }
    return this.recovered.tickets[id];
  }

  /** Every hot ticket's id, state, brand, repo, kind, priority, title and last change, without reading the tickets. */
  ticketSummaries(): readonly TicketSummary[] {
    // Cached by the table until a ticket changes.
    return this.table.summaries();
  }

  /** Walks every hot ticket's summary, as an unparsed index line where it can be (see `TicketTable.eachSummary`). */
  eachSummary(visit: (line: IndexLine | null, summary: TicketSummary | null) => void): Generator<void, void, undefined> {
    return this.table.eachSummary(visit);
  }

  /**
   * The hot tickets whose summary passes `keep` (only those are read in full);
   * with `lineHas`, only those whose stored line also holds one of those texts (or that
   * are in memory): a cheap first test for a field the summary lacks.
   */
  ticketsWhere(keep: (summary: TicketSummary) => boolean, lineHas?: string | readonly string[]): Ticket[] {
    return this.table.where(keep, lineHas);
  }

  /** How many tickets are hot. */
  get hotCount(): number {
    return this.table.size;
  }

  /** Whether a ticket is hot, without reading it. */
  isHot(id: string): boolean {
    return this.table.has(id);
  }

  /**
   * Rebuilds the state from the event log alone and writes a fresh snapshot.
   * Returns the full read, so `repair` can say what it skipped.
   */
  static async rebuild(paths: WorkspacePaths, options: StoreOptions = {}): Promise<{ store: Store; events: number; read: LogRead }> {
    const store = new Store(paths, Store.snapshotDb(paths), emptyState(), options);
    const read = store.log.readFrom(LOG_START, 0);
    const events = store.apply(read, true);
    await store.writeSnapshot();
    return { store, events, read };
  }

  /** Raises the id counters (never lowers them): ids once handed out are never handed out again. */
  raiseCounters(counters: Partial<State['counters']>): void {
    for (const key of Object.keys(this.state.counters) as Array<keyof State['counters']>) {
      const value = counters[key];
      if (typeof value === 'number' && value > this.state.counters[key]) this.state.counters[key] = value;
    }
  }

  /** The highest ticket number in the archive files (read only when the snapshot cannot be trusted). */
  archivedTicketFloor(): number {
    return Math.max(0, ...readAllArchived(this.paths.archive).map((t) => Number(t.id.slice(2)) || 0));
  }

  private static snapshotDb(paths: WorkspacePaths): Low<Snapshot | null> {
    mkdirSync(paths.events, { recursive: true });
    // No default: a missing snapshot reads as null and the state is replayed from the log.
    return new Low<Snapshot | null>(new AtomicJsonFile<Snapshot | null>(paths.state), null);
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
   * events are durable when this returns. Ticket events are appended only as
   * src/tickets made them (minted), and only when they apply to the state.
   */
  commit<T>(decide: (state: State) => { events: CommitPayload[]; result: T }): T {
    if (this.readOnly) throw new Error('a read-only store cannot commit');
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
        refuseUnfit(this.state, decided.events);
        const at = this.now();
        let seq = this.state.seq;
        logged = decided.events.map((payload) => ({ ...payload, seq: ++seq, at }) as LoggedEvent);
        try {
          this.position = this.log.append(logged, at.slice(0, 10), (file, offset, bytes) => quarantineTorn(this.paths.quarantine, file, offset, bytes));
        } catch (error) {
          logged = [];
          if (error instanceof LogWriteError) {
            // Not rolled back: the write may have reached the log before the flush failed; take in whatever is there.
            if (!error.rolledBack) this.catchUp(false);
            throw error;
          }
          this.catchUp(false);
          throw new UserError(
            `could not write the event log in ${this.paths.events} (${errorMessage(error)}); the change may or may not be recorded: check with \`master ticket list\` before repeating it`,
            ExitCode.failed,
          );
        }
        for (const event of logged) if (applyEvent(this.state, event) === null) this.touchTickets(event);
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
  record(...payloads: PlainPayload[]): void {
    this.commit(() => ({ events: payloads, result: undefined }));
  }

  /** Applies what other processes appended since the last look (no lock needed to read). */
  refresh(): number {
    return this.catchUp(false);
  }

  private catchUp(initial: boolean): number {
    return this.apply(this.log.readFrom(this.position, this.state.seq), initial);
  }

  /** Applies a read of the log: its events in order; its damaged lines are reported and quarantined, never applied. */
  private apply(read: LogRead, initial: boolean): number {
    const fresh = read.damaged.filter((d) => !this.reported.has(`${d.file}@${d.offset}`));
    for (const d of fresh) this.reported.add(`${d.file}@${d.offset}`);
    if (fresh.length > 0 && !this.readOnly) quarantineLines(this.paths.quarantine, fresh, this.now());
    for (const problem of read.problems) {
      if (this.reported.has(problem)) continue;
      this.reported.add(problem);
      this.notices.push(problem);
    }
    let applied = 0;
    const refusals: Refusal[] = [];
    for (const event of read.events) {
      if (event.seq <= this.state.seq) continue;
      const refusal = applyEvent(this.state, event);
      if (refusal !== null) {
        refusals.push({ event, reason: refusal });
        continue;
      }
      this.touchTickets(event);
      applied++;
      if (!initial) this.bus?.publish(event);
    }
    this.position = read.position;
    if (refusals.length > 0) this.reportRefused(locateRefusals(this.paths.events, refusals));
    return applied;
  }

  /** The reducer changes a ticket in place: the table is told, so a snapshot does not copy its old line. */
  private touchTickets(event: LoggedEvent): void {
    if (!isTicketEvent(event)) return;
    const id = (event as { id?: unknown }).id;
    if (typeof id === 'string') this.table.touch(id);
  }

  /** Refused lines are kept like damaged ones: a copy in quarantine, a notice, never applied. */
  private reportRefused(lines: DamagedLine[]): void {
    this.refused.push(...lines);
    if (!this.readOnly) quarantineLines(this.paths.quarantine, lines, this.now());
    for (const line of lines) {
      const sentence = refusalSentence(line);
      if (this.reported.has(sentence)) continue;
      this.reported.add(sentence);
      this.notices.push(sentence);
    }
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

  /**
   * Writes the snapshot now (serialized with any write in flight): the
   * ticket file first, under a name of its own, then `state.json` naming it
   * (atomically, through lowdb), then ticket files no snapshot names.
   */
  writeSnapshot(): Promise<void> {
    if (this.readOnly) return this.snapshotWrite;
    const dir = path.dirname(this.paths.state);
    const file = ticketFileName(this.paths.state, this.state.seq);
    // Taken now: the state keeps changing while the files are written.
    const version = this.table.version;
    const same = this.lastTickets?.version === version ? this.lastTickets.meta : null;
    const data = same ? null : serializeTickets(this.table);
    const tickets = data ? { file, bytes: data.bytes, indexBytes: data.indexBytes, count: data.count } : { ...same!, file };
    const { tickets: _hot, ...rest } = this.state;
    const head: Snapshot = {
      version: SNAPSHOT_VERSION,
      seq: this.state.seq,
      position: this.position,
      state: { ...structuredClone(rest), tickets: {} },
      tickets,
    };
    this.snapshotSeq = this.state.seq;
    this.rewrite = false;
    // Set now, not when written: a snapshot asked for before this one is on disk links to it once it is (the writes run in order).
    const written = { meta: tickets, version };
    this.lastTickets = written;
    this.snapshotWrite = this.snapshotWrite
      .then(async () => {
        if (data) await writeTicketFile(path.join(dir, file), data);
        else {
          try {
            // The same tickets: a new name for the same file (its own name, so the rules for removing old ticket files hold).
            await link(path.join(dir, same!.file), path.join(dir, file));
          } catch {
            // Gone (another process's snapshot replaced it) or no hard links here: written whole on close.
            this.lastTickets = null;
            this.rewrite = true;
            return;
          }
        }
        this.db.data = head;
        try {
          await this.db.write();
        } finally {
          this.db.data = null;
        }
        removeStaleTicketFiles(this.paths.state, file, this.ticketFiles);
        this.ticketFiles.clear();
        this.ticketFiles.add(file);
      })
      .catch((error) => {
        if (this.lastTickets === written) this.lastTickets = null;
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
    if (this.rewrite || this.state.seq - this.snapshotSeq >= threshold) await this.writeSnapshot();
    await this.snapshotWrite;
    // A snapshot that meant to name a link of the last ticket file could not: written whole now.
    if (this.rewrite) await this.writeSnapshot();
    this.table.close();
  }
}

/**
 * Whether the snapshot's position is where the log has the snapshot's last
 * event: the line ending there is that event (or a damaged line the snapshot
 * skipped). A snapshot whose position points into the middle of a line, past
 * the end of a file, or after another event is ahead of (or beside) the log.
 */
export function snapshotMatchesLog(log: EventLog, snapshot: Snapshot): boolean {
  if (snapshot.position.offset === 0) return snapshot.seq === 0;
  const line = log.lineEndingAt(snapshot.position);
  if (line === undefined) return false;
  if (eventShapeProblem(line) !== null) return true;
  return (line as { seq: number }).seq === snapshot.seq;
}

/** The ticket ids a snapshot holds, in either format. */
function snapshotTicketIds(paths: WorkspacePaths, snapshot: Snapshot): string[] {
  if (!snapshot.tickets) return Object.keys(snapshot.state.tickets);
  const found = openTicketFile(paths.state, snapshot.tickets);
  if (!('fd' in found)) return [];
  const table = new TicketTable({ ...found, indexBytes: snapshot.tickets.indexBytes }, () => undefined);
  try {
    return table.ids();
  } catch {
    return [];
  } finally {
    table.close();
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
    typeof v.state.tickets === 'object' &&
    v.state.tickets !== null &&
    (v.tickets === undefined || (!!v.tickets && typeof v.tickets.bytes === 'number' && typeof v.tickets.indexBytes === 'number' && v.tickets.indexBytes <= v.tickets.bytes))
  );
}

/**
 * Refuses, before anything is appended, a ticket event src/tickets did not
 * make, or one that would not apply (a programming error, not the user's).
 */
function refuseUnfit(state: State, events: CommitPayload[]): void {
  for (const event of events) {
    if (!isTicketEvent(event)) continue;
    if (!isMinted(event)) {
      throw new Error(`a ${event.type} event was built outside src/tickets; only src/tickets makes ticket events (use Tickets), so the store refused it`);
    }
    const refusal = ticketEventRefusal(state, event);
    if (refusal !== null) throw new Error(`the store refused a ticket event: ${refusal}`);
  }
}
