import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { type IndexLine, LineSummary, indexChunks } from './indexLines.js';
import { bisectIndex, inIdOrder } from './indexSearch.js';
import type { Ticket } from './types.js';

/** What `ticket list` and the state-filtering callers need of a ticket, without its body, runs and history. */
export type TicketSummary = Pick<Ticket, 'id' | 'state' | 'brand' | 'repo' | 'kind' | 'priority' | 'title' | 'updatedAt'>;

export function summaryOf(t: TicketSummary): TicketSummary {
  return { id: t.id, state: t.state, brand: t.brand, repo: t.repo, kind: t.kind, priority: t.priority, title: t.title, updatedAt: t.updatedAt };
}

/**
 * One line of the ticket file's index, tab-separated:
 * `id offset length state brand repo kind priority updatedAt "title"` —
 * where the ticket's own line is (from the start of the tickets, after the
 * index) and its summary. The title is a JSON string (it may hold tabs); the
 * other fields are ids and names that cannot.
 */
export function indexLine(s: TicketSummary, offset: number, length: number): string {
  return `${s.id}\t${offset}\t${length}\t${s.state}\t${s.brand}\t${s.repo}\t${s.kind}\t${s.priority}\t${s.updatedAt}\t${JSON.stringify(s.title)}\n`;
}

export type { IndexLine } from './indexLines.js';

export interface Row {
  summary: TicketSummary;
  offset: number;
  length: number;
}

function parseRow(line: string): Row {
  const f = line.split('\t');
  if (f.length !== 10) throw new TicketFileDamage(`an index line has ${f.length} fields, not 10`);
  const quoted = f[9]!;
  let title: string;
  if (quoted.length >= 2 && quoted.charCodeAt(0) === 34 && quoted.charCodeAt(quoted.length - 1) === 34 && !quoted.includes('\\')) title = quoted.slice(1, -1);
  else {
    try {
      title = JSON.parse(quoted) as string;
    } catch {
      throw new TicketFileDamage(`the index line of ${f[0]} has a title that is not a JSON string`);
    }
    if (typeof title !== 'string') throw new TicketFileDamage(`the index line of ${f[0]} has a title that is not a JSON string`);
  }
  return {
    summary: { id: f[0]!, state: f[3] as Ticket['state'], brand: f[4]!, repo: f[5]!, kind: f[6] as Ticket['kind'], priority: f[7] as Ticket['priority'], updatedAt: f[8]!, title },
    offset: Number(f[1]),
    length: Number(f[2]),
  };
}

function parsed(line: string): Row | string {
  try {
    return parseRow(line);
  } catch (error) {
    if (error instanceof TicketFileDamage) return error.message;
    throw error;
  }
}

/** After this many searches of the index by id, the index is read into a map once. */
const SEARCHES_BEFORE_MAP = 16;

/** After this many single reads, the rest of the tickets are read at once. */
const READ_ALL_AFTER = 2000;

/** Above this many tickets to test for a text, the file is searched in one pass instead of line by line. */
const SCAN_AFTER = 256;

/**
 * Texts a session tests stored lines for (a hold, a merge, a reject, as
 * JSON.stringify writes them): a pass over the file for one finds them all.
 */
const LINE_TESTS = ['"hold":{', '"event":"merge"', '"event":"reject"'];

/** The size of the chunks that pass reads. */
const SCAN_CHUNK = 8 << 20;

interface SummaryWalk {
  version: number;
  list: TicketSummary[];
  offsets: Float64Array;
  lengths: Float64Array;
}

/** Whether the sorted places `at` hold one in `[from, to)`. */
function holdsBetween(at: Float64Array, from: number, to: number): boolean {
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (at[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < at.length && at[lo]! < to;
}

/** A line of the ticket file that is not what the index says: the snapshot cannot be trusted there. */
export class TicketFileDamage extends Error {}

/** Where a snapshot's tickets are: the file, and the byte length of its index section (the tickets follow it). */
export interface TicketSource {
  file: string;
  fd: number;
  indexBytes: number;
}

/**
 * The hot tickets as a lazy table: an object with the interface of
 * `Record<string, Ticket>` (so the reducer and every caller of
 * `state.tickets` work unchanged) backed by the snapshot's ticket file — an
 * index of one summary line per ticket, then one JSON line per ticket. A
 * ticket is parsed only when it is read; listing summaries, counting or
 * filtering by state never parses one, and reading one ticket by id reads
 * neither the other tickets nor (beyond a search) the index.
 */
export class TicketTable {
  /** Tickets read from the file or set since (new ones in the order they came). */
  private readonly overlay = new Map<string, Ticket>();
  private readonly removed = new Set<string>();
  private index: Buffer | null = null;
  /** The index by id (parsed, or the line and why it is damaged), built on the first call that walks every ticket. */
  private rows: Map<string, Row | string> | null = null;
  private fd: number | null;
  /** The whole ticket section, once many tickets were read one by one (a caller walks them all). */
  private whole: Buffer | null = null;
  private reads = 0;
  private searches = 0;
  /** Whether the index is in id order (so a bisection that misses is an answer); unknown until one misses. */
  private ordered: boolean | undefined;
  /** Counts every change to the table (a ticket set, touched by an event, recovered or removed): a snapshot at the same count holds the same tickets. */
  private changes = 0;
  /** Tickets whose line in the file may no longer be the ticket (set, touched by an event, or recovered from the log). */
  private readonly dirty = new Set<string>();
  /** Where in the ticket section each text a `where` tested for occurs (sorted). */
  private readonly holding = new Map<string, Float64Array>();
  readonly tickets: Record<string, Ticket>;
  /** The last summaries walked, and the count of changes they hold. */
  private summaryList: SummaryWalk | null = null;

  constructor(
    private readonly source: TicketSource | null,
    /** Called when a line cannot be read as its ticket; returns the ticket from a trusted source (the log). */
    private readonly onDamage: (id: string, problem: string) => Ticket | undefined,
  ) {
    this.fd = source?.fd ?? null;
    const table = this;
    this.tickets = new Proxy({} as Record<string, Ticket>, {
      get(target, key) {
        if (typeof key !== 'string') return Reflect.get(target, key);
        return table.ticket(key);
      },
      set(_target, key, value) {
        if (typeof key !== 'string') return false;
        table.overlay.set(key, value as Ticket);
        table.removed.delete(key);
        table.touch(key);
        return true;
      },
      deleteProperty(_target, key) {
        if (typeof key === 'string') {
          table.overlay.delete(key);
          if (table.inIndex(key)) table.removed.add(key);
          table.touch(key);
        }
        return true;
      },
      has(_target, key) {
        return typeof key === 'string' && table.has(key);
      },
      ownKeys() {
        return table.ids();
      },
      getOwnPropertyDescriptor(_target, key) {
        if (typeof key !== 'string' || !table.has(key)) return undefined;
        // Enumerating keys (`Object.keys`, `in`) must not parse every ticket: the value is read by `get`.
        return { configurable: true, enumerable: true, writable: true, value: undefined };
      },
      defineProperty(_target, key, descriptor) {
        if (typeof key !== 'string' || !('value' in descriptor)) return false;
        table.overlay.set(key, descriptor.value as Ticket);
        table.removed.delete(key);
        table.touch(key);
        return true;
      },
    });
  }

  /** A table over tickets already in memory (a state replayed from the log). */
  static of(tickets: Record<string, Ticket>): TicketTable {
    const table = new TicketTable(null, () => undefined);
    for (const [id, ticket] of Object.entries(tickets)) table.overlay.set(id, ticket);
    return table;
  }

  has(id: string): boolean {
    return this.overlay.has(id) || (!this.removed.has(id) && this.inIndex(id));
  }

  /** Every hot ticket's id: the snapshot's in its order, then those created since. */
  ids(): string[] {
    const rows = this.allRows();
    const out: string[] = [];
    for (const id of rows.keys()) if (!this.removed.has(id)) out.push(id);
    for (const id of this.overlay.keys()) if (!rows.has(id)) out.push(id);
    return out;
  }

  get size(): number {
    // Without the map of the index, counted by the walk the summaries need anyway (cached until a change).
    return this.rows || !this.source ? this.ids().length : this.summaries().length;
  }

  /** Every hot ticket's summary, in `ids()` order, without parsing a ticket (nor building a row per index line). */
  summaries(): TicketSummary[] {
    return this.summaryWalk().list;
  }

  /**
   * The summaries, and where each one's ticket line is (NaN for a ticket in
   * memory or a line whose title has escapes): one chunked pass over the
   * index, without a row object per line, kept until a ticket changes — a
   * session asks many times (each phase, the dispatcher, the report, the
   * doctor, `where`), and at 100,000 tickets each pass costs a tenth of a second.
   */
  private summaryWalk(): SummaryWalk {
    if (this.summaryList?.version === this.changes) return this.summaryList;
    const list: TicketSummary[] = [];
    const offsets: number[] = [];
    const lengths: number[] = [];
    const view = new LineSummary();
    const walk = this.eachSummary((line, summary) => {
      if (line) {
        view.line = line;
        list.push(summaryOf(view as unknown as TicketSummary));
        offsets.push(view.offset);
        lengths.push(view.length);
      } else {
        list.push(summaryOf(summary!));
        offsets.push(NaN);
        lengths.push(NaN);
      }
    });
    for (const _ of walk);
    this.summaryList = { version: this.changes, list, offsets: Float64Array.from(offsets), lengths: Float64Array.from(lengths) };
    return this.summaryList;
  }

  /**
   * Visits every hot ticket's summary in `ids()` order without building an
   * object per ticket of the index, and without reading the index whole
   * (what a listing of 100,000 tickets needs): it is read a chunk at a time,
   * and a well-formed line whose title needs no unescaping comes as `line`,
   * its fields as ranges of the chunk; any other ticket as `summary` (one in
   * memory: changed or created since the snapshot, or read from the log
   * because its index line is damaged; or a line whose title has escapes).
   * Each step of the walk visits one chunk's tickets, so a caller can write
   * out what it made of them before the next; two walks visit the same
   * tickets in the same order.
   */
  *eachSummary(visit: (line: IndexLine | null, summary: TicketSummary | null) => void): Generator<void, void, undefined> {
    if (this.rows || !this.source) {
      // The index was parsed already (a caller walked every ticket) or there is none: nothing left to save.
      let count = 0;
      for (const [, entry] of this.walk()) {
        visit(null, 'summary' in entry ? entry.summary : entry);
        if (++count % 1000 === 0) yield;
      }
      return;
    }
    // Ids are compared only when some ticket is in memory or removed; a fresh listing never makes one.
    const checkIds = this.overlay.size > 0 || this.removed.size > 0;
    const visited = new Set<string>();
    for (const line of indexChunks(this.source.indexBytes, (buffer, length, offset) => void this.readInto(buffer, offset, length))) {
      for (let kind = line.nextLine(); kind !== null; kind = line.nextLine()) {
        if (kind === 'simple' && !checkIds) {
          visit(line, null);
          continue;
        }
        const id = line.id();
        if (checkIds) {
          if (this.removed.has(id)) continue;
          const ticket = this.overlay.get(id);
          if (ticket) {
            visited.add(id);
            visit(null, ticket);
            continue;
          }
        }
        if (kind === 'simple') {
          visit(line, null);
          continue;
        }
        const row = parsed(line.buf.toString('utf8', line.start, line.end));
        if (typeof row !== 'string') {
          visit(null, row.summary);
          continue;
        }
        const recovered = this.onDamage(id, row);
        if (recovered) {
          this.overlay.set(id, recovered);
          // The stored line is not this ticket: the next snapshot writes it again rather than linking the damaged file.
          this.touch(id);
          visited.add(id);
          visit(null, recovered);
        }
      }
      yield;
    }
    for (const [id, ticket] of this.overlay) if (!visited.has(id)) visit(null, ticket);
  }

  /**
   * The full tickets whose summary passes `keep`; only those are parsed. With
   * `lineHas`, a ticket not in memory is parsed only when its stored line
   * holds one of those texts (a cheap test for a field the summary lacks;
   * the caller still checks the ticket).
   */
  where(keep: (s: TicketSummary) => boolean, lineHas?: string | readonly string[]): Ticket[] {
    const needles = lineHas === undefined ? null : (typeof lineHas === 'string' ? [lineHas] : lineHas).map((n) => Buffer.from(n));
    // Tested on the summaries (one pass over the index, kept until a change): a row object per index line,
    // kept for the session, cost more in parsing and garbage collection than all the tests.
    // The kept tickets as their positions in the walk (no object each: a test may keep 100,000).
    const { list, offsets, lengths } = this.summaryWalk();
    const kept: number[] = [];
    for (let i = 0; i < list.length; i++) if (keep(list[i]!)) kept.push(i);
    let holds: ((offset: number, length: number) => boolean) | null = null;
    if (needles) {
      let unread = 0;
      for (const i of kept) if (!Number.isNaN(offsets[i])) unread++;
      if (unread > SCAN_AFTER) {
        const found = this.linesHolding(needles);
        holds = (offset, length) => found.some((at) => holdsBetween(at, offset, offset + length));
      } else
        holds = (offset, length) => {
          const line = this.rawBytes(offset, length);
          return needles.some((n) => line.includes(n));
        };
    }
    const out: Ticket[] = [];
    for (const i of kept) {
      const { id } = list[i]!;
      // A ticket in memory, or a line whose title has escapes (its place is not kept): read by id, as it is.
      const offset = offsets[i]!;
      const ticket = Number.isNaN(offset) ? this.ticket(id) : holds && !holds(offset, lengths[i]!) ? undefined : this.ticketAt(id, { offset, length: lengths[i]! });
      if (ticket) out.push(ticket);
    }
    return out;
  }

  /** A ticket read from where its index line says it is (what `ticket` does once it found the line). */
  private ticketAt(id: string, row: { offset: number; length: number }): Ticket | undefined {
    const known = this.overlay.get(id);
    if (known !== undefined || this.removed.has(id)) return known;
    let ticket: Ticket;
    try {
      ticket = this.parseTicket(id, row);
    } catch (error) {
      if (!(error instanceof TicketFileDamage)) throw error;
      return this.recover(id, error.message);
    }
    this.overlay.set(id, ticket);
    return ticket;
  }

  /** A ticket whose stored line is damaged, from the log (or undefined); marked changed, so the next snapshot writes it again. */
  private recover(id: string, problem: string): Ticket | undefined {
    const ticket = this.onDamage(id, problem);
    this.touch(id);
    if (ticket) this.overlay.set(id, ticket);
    return ticket;
  }

  /**
   * Where in the ticket section each of `needles` occurs (sorted): one pass
   * over it in chunks (a needle holds no newline, so a match is in one
   * line), without keeping the file in memory. The file never changes: each
   * text's places are kept, and a pass looks for every text asked before and
   * the session's usual ones too (`LINE_TESTS`).
   */
  private linesHolding(needles: Buffer[]): Float64Array[] {
    const wanted = [...new Set([...needles.map((n) => n.toString()), ...LINE_TESTS])].filter((n) => !this.holding.has(n));
    if (wanted.length > 0) this.scan(wanted);
    return needles.map((needle) => this.holding.get(needle.toString())!);
  }

  private scan(texts: string[]): void {
    const needles = texts.map((text) => ({ bytes: Buffer.from(text), found: [] as number[] }));
    const size = this.rawSize();
    const overlap = Math.max(...needles.map((n) => n.bytes.length)) - 1;
    const buffer = this.whole ? null : Buffer.allocUnsafe(SCAN_CHUNK + overlap);
    for (let at = 0; at < size; at += SCAN_CHUNK) {
      const length = Math.min(SCAN_CHUNK + overlap, size - at);
      const chunk = this.whole ? this.whole.subarray(at, at + length) : this.readInto(buffer!, this.source!.indexBytes + at, length);
      for (const { bytes, found } of needles) {
        for (let i = chunk.indexOf(bytes); i !== -1; i = chunk.indexOf(bytes, i + 1)) found.push(at + i);
      }
    }
    // A match in the overlap of two chunks is found twice (and out of order for a shorter text): sorted, duplicates do no harm.
    for (const [i, text] of texts.entries()) this.holding.set(text, Float64Array.from(needles[i]!.found).sort());
  }

  /** Each hot ticket in `ids()` order: in memory, or where its line is (unparsed) with its summary. */
  *walk(): IterableIterator<[string, Ticket | Row]> {
    const rows = this.allRows();
    for (const [id, row] of rows) {
      if (this.removed.has(id)) continue;
      const ticket = this.overlay.get(id);
      if (ticket) {
        yield [id, ticket];
        continue;
      }
      if (typeof row === 'string') {
        const recovered = this.onDamage(id, row);
        if (recovered) {
          this.overlay.set(id, recovered);
          this.touch(id);
          yield [id, recovered];
        }
        continue;
      }
      yield [id, row];
    }
    for (const [id, ticket] of this.overlay) if (!rows.has(id)) yield [id, ticket];
  }

  ticket(id: string): Ticket | undefined {
    const known = this.overlay.get(id);
    if (known !== undefined || this.removed.has(id)) return known;
    let row: Row | string | undefined;
    try {
      row = this.row(id);
    } catch (error) {
      if (!(error instanceof TicketFileDamage)) throw error;
      return this.recover(id, error.message);
    }
    if (row === undefined) return undefined;
    if (typeof row === 'string') return this.recover(id, row);
    return this.ticketAt(id, row);
  }

  /** The bytes of a ticket's line as stored (a snapshot copies unparsed tickets without parsing them). */
  rawLine(row: Pick<Row, 'offset' | 'length'>): Buffer {
    return this.rawBytes(row.offset, row.length);
  }

  /** Bytes of the ticket section as stored, from `offset` (a snapshot copies a run of untouched lines at once). */
  rawBytes(offset: number, length: number): Buffer {
    if (!this.whole && ++this.reads > READ_ALL_AFTER) this.preload();
    if (this.whole) {
      if (offset + length > this.whole.length) throw new TicketFileDamage(`${this.source!.file} ends before the line at ${offset}`);
      return this.whole.subarray(offset, offset + length);
    }
    return this.bytes(this.source!.indexBytes + offset, length);
  }

  /** One byte of the ticket section, or -1 past its end (no Buffer made per call: a snapshot asks once per ticket). */
  byteAt(offset: number): number {
    if (this.whole) return this.whole[offset] ?? -1;
    return offset < this.rawSize() ? this.rawBytes(offset, 1)[0]! : -1;
  }

  /** The byte length of the ticket section (after the index). */
  rawSize(): number {
    if (this.whole) return this.whole.length;
    return this.source ? fstatSync(this.open()).size - this.source.indexBytes : 0;
  }

  /** Marks a ticket as changed in memory (the store calls this for each ticket event it applies: the reducer changes tickets in place). */
  touch(id: string): void {
    this.dirty.add(id);
    this.changes++;
  }

  /** How many changes the table has had: equal counts, equal tickets. */
  get version(): number {
    return this.changes;
  }

  /**
   * Each hot ticket in `ids()` order, as a snapshot writes it: where its line
   * is when the file still holds it unchanged (parsed or not), else the
   * ticket in memory.
   */
  *forSnapshot(): IterableIterator<Row | Ticket> {
    if (!this.rows && this.source) {
      // The walk of the summaries knows every line's place: no map of the index (a second copy of 100,000 summaries) needed.
      const { list, offsets, lengths } = this.summaryWalk();
      for (let i = 0; i < list.length; i++) {
        const summary = list[i]!;
        const offset = offsets[i]!;
        if (!Number.isNaN(offset) && !this.dirty.has(summary.id)) {
          yield { summary, offset, length: lengths[i]! };
          continue;
        }
        const ticket = this.ticket(summary.id);
        if (ticket) yield ticket;
      }
      return;
    }
    for (const [id, entry] of this.walk()) {
      if ('summary' in entry) {
        yield entry;
        continue;
      }
      const row = this.dirty.has(id) ? undefined : this.rows?.get(id);
      yield row !== undefined && typeof row !== 'string' ? row : entry;
    }
  }

  /** Reads every ticket line at once (a snapshot, or a caller walking every ticket). */
  preload(): void {
    if (this.whole || !this.source) return;
    const size = fstatSync(this.open()).size;
    this.whole = this.bytes(this.source.indexBytes, size - this.source.indexBytes);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.whole = null;
  }

  private inIndex(id: string): boolean {
    return this.row(id) !== undefined;
  }

  private loadIndex(): Buffer {
    if (!this.index) this.index = this.source ? this.bytes(0, this.source.indexBytes) : Buffer.alloc(0);
    return this.index;
  }

  /** The index row of `id` (or why its line is damaged): from the map when built, else found by a search of the index. */
  private row(id: string): Row | string | undefined {
    if (this.rows) return this.rows.get(id);
    if (!this.source) return undefined;
    if (this.ordered !== false) {
      // The snapshot writes the index in id order: a bisection reads a few blocks of it, not all of it.
      const fd = this.open();
      const line = bisectIndex(fd, this.source.indexBytes, id);
      if (line) return parsed(line.toString('utf8'));
      // Not there: an answer once the index is known to be in order (checked once, a chunk at a time).
      if (line === null) this.ordered ??= inIdOrder(fd, this.source.indexBytes);
      if (line === null && this.ordered) return undefined;
    }
    // A search scans the index: fine for the few tickets a command reads, not for a caller that reads many.
    if (++this.searches > SEARCHES_BEFORE_MAP) return this.allRows().get(id);
    const index = this.loadIndex();
    const key = `${id}\t`;
    let at = index.subarray(0, key.length).toString() === key ? 0 : index.indexOf(`\n${key}`);
    if (at === -1) return undefined;
    if (at > 0) at++;
    const end = index.indexOf(0x0a, at);
    return parsed(index.subarray(at, end === -1 ? index.length : end).toString('utf8'));
  }

  private allRows(): Map<string, Row | string> {
    if (this.rows) return this.rows;
    const rows = new Map<string, Row | string>();
    const text = this.loadIndex().toString('utf8');
    this.index = null;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      const tab = text.indexOf('\t', start);
      if (tab > start && tab < end) rows.set(text.slice(start, tab), parsed(text.slice(start, end)));
      start = end + 1;
    }
    this.rows = rows;
    return rows;
  }

  private parseTicket(id: string, row: Pick<Row, 'offset' | 'length'>): Ticket {
    const text = this.rawLine(row).toString('utf8');
    let value: Ticket;
    try {
      value = JSON.parse(text) as Ticket;
    } catch {
      throw new TicketFileDamage(`the line of ${id} in ${this.source!.file} is not JSON`);
    }
    if (!value || typeof value !== 'object' || value.id !== id) throw new TicketFileDamage(`the line of ${id} in ${this.source!.file} holds another ticket`);
    return value;
  }

  private bytes(offset: number, length: number): Buffer {
    return this.readInto(Buffer.alloc(length), offset, length);
  }

  private readInto(buffer: Buffer, offset: number, length: number): Buffer {
    const fd = this.open();
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buffer, read, length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    if (read !== length) throw new TicketFileDamage(`${this.source!.file} ends before byte ${offset + length}`);
    return buffer.subarray(0, length);
  }

  private open(): number {
    if (this.fd !== null) return this.fd;
    if (!this.source) throw new TicketFileDamage('no ticket file');
    try {
      // Closed by `Store.close`: a read after it opens the file again (a ticket file is never changed in place).
      this.fd = openSync(this.source.file, 'r');
      if (fstatSync(this.fd).size < this.source.indexBytes) throw new TicketFileDamage(`${this.source.file} is shorter than its index`);
    } catch (error) {
      if (error instanceof TicketFileDamage) throw error;
      throw new TicketFileDamage(`cannot open ${this.source.file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    return this.fd;
  }
}
