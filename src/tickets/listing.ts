import { sanitizeLine } from '../sanitize.js';
import type { IndexLine, TicketSummary } from '../state/ticketTable.js';
import { formatTicketTable, TABLE_HEADER } from './format.js';

/** Where a listing's summaries come from (the store): lines of the snapshot's index where it can, else objects. */
export interface SummarySource {
  /** A walk of every summary, some tickets per step; two walks must visit the same tickets in the same order. */
  eachSummary(visit: (line: IndexLine | null, summary: TicketSummary | null) => void): Iterable<void>;
  ticketSummaries(): readonly TicketSummary[];
}

export interface ListFilter {
  brand?: string;
  state?: string;
}

/** Takes a chunk of output; resolves false once nobody reads it any more (the listing stops). */
export type Sink = (chunk: Buffer) => boolean | Promise<boolean>;

const CHUNK = 64 * 1024;

// Fields of an index line (see `indexLine`), by the tab that ends each: id offset length state brand repo kind priority updatedAt "title".
const ID = 0;
const STATE = 3;
const BRAND = 4;
const REPO = 5;
const KIND = 6;
const PRIORITY = 7;
const UPDATED = 8;

type Fields = Pick<TicketSummary, 'id' | 'state' | 'brand' | 'repo' | 'kind' | 'priority' | 'title'>;

/** A row formatted cell by cell: sanitized, as `formatTicketTable` makes them (id, state, priority, brand/repo, kind, title). */
type Cells = string[];

/** A row the first pass set aside: it comes before a row the table visited earlier. */
interface Aside {
  n: number;
  cells: Cells;
}

/**
 * `ticket list` as a stream: the same table `formatTicketTable` prints for
 * the filtered summaries in id order, written a chunk at a time, without
 * ever holding the index or the table whole. A first walk of the summaries
 * finds the column widths; the second writes the rows, cut from the index's
 * text (no object per ticket, no parse). Only tickets in memory and lines
 * with characters that are not printable ASCII are formatted cell by cell.
 *
 * Order: the table visits tickets in its order (the snapshot's, which is
 * id order as master writes it, then tickets created since); a ticket that
 * comes after a higher id (an index written otherwise) is set aside in the
 * first walk and merged in where it belongs in the second.
 */
export async function writeTicketListing(source: SummarySource, filter: ListFilter, sink: Sink): Promise<void> {
  const first = measure(source, filter);
  if (first === null) {
    // Ids this path cannot order as the sort does (not a number after `T-`, or the same number twice): as before.
    const list = source
      .ticketSummaries()
      .filter((t) => (!filter.brand || t.brand === filter.brand) && (!filter.state || t.state === filter.state))
      .sort((a, b) => idNumber(a.id) - idNumber(b.id));
    await sink(Buffer.from(`${formatTicketTable(list)}\n`));
    return;
  }
  if (first.rows === 0) {
    await sink(Buffer.from('no tickets\n'));
    return;
  }
  const { widths, aside } = first;
  const row = (cells: Cells) => `${cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}\n`;
  const out = new Output();
  out.text(row([...TABLE_HEADER]));
  let next = 0;
  let last = Number.NEGATIVE_INFINITY;
  const take = (fields: Fields | null, line: IndexLine | null, n: number) => {
    if (!(n > last)) return;
    last = n;
    while (next < aside.length && aside[next]!.n < n) out.text(row(aside[next++]!.cells));
    if (fields) {
      out.text(row(cellsOf(fields)));
      return;
    }
    // The row's bytes straight from the index line's (all printable ASCII: a character is a byte).
    const { buf, start, end, tabs } = line!;
    const title = tabs[UPDATED]! + 2;
    const to = out.room(widths[0]! + widths[1]! + widths[2]! + widths[3]! + widths[4]! + 10 + (end - 1 - title) + 1);
    let p = out.at;
    p = cell(buf, start, tabs[ID]!, to, p, widths[0]!);
    p = cell(buf, tabs[STATE - 1]! + 1, tabs[STATE]!, to, p, widths[1]!);
    p = cell(buf, tabs[PRIORITY - 1]! + 1, tabs[PRIORITY]!, to, p, widths[2]!);
    // BRAND/REPO: two fields, a slash between them, padded as one cell.
    const brand = tabs[BRAND - 1]! + 1;
    p = put(buf, brand, tabs[BRAND]!, to, p);
    to[p++] = 0x2f;
    p = cell(buf, tabs[REPO - 1]! + 1, tabs[REPO]!, to, p, widths[3]! - (tabs[BRAND]! - brand) - 1);
    p = cell(buf, tabs[KIND - 1]! + 1, tabs[KIND]!, to, p, widths[4]!);
    p = put(buf, title, end - 1, to, p);
    to[p++] = 0x0a;
    out.at = p;
  };
  const walk = source.eachSummary((line, summary) => {
    const fields = summary ?? (line!.plain ? null : fieldsOf(line!));
    if (fields ? !passes(fields, filter) : !linePasses(line!, filter)) return;
    take(fields, line, fields ? idNumber(fields.id) : lineNumber(line!));
  });
  // What a step of the walk made goes out before the next step, as fast as the sink takes it.
  for (const _ of walk) for (const chunk of out.full()) if (!(await sink(chunk))) return;
  while (next < aside.length) out.text(row(aside[next++]!.cells));
  for (const chunk of out.all()) if (!(await sink(chunk))) return;
}

/** Copies a field's bytes. */
function put(from: Buffer, start: number, end: number, to: Buffer, at: number): number {
  for (let i = start; i < end; i++) to[at++] = from[i]!;
  return at;
}

/** Copies a cell, pads it to its column's width, then the two spaces before the next column. */
function cell(from: Buffer, start: number, end: number, to: Buffer, at: number, width: number): number {
  at = put(from, start, end, to, at);
  for (let i = end - start; i < width + 2; i++) to[at++] = 0x20;
  return at;
}

/** The rows as chunks of about 64 KiB, each a buffer of its own (the sink may keep it until it is written). */
class Output {
  private done: Buffer[] = [];
  buffer = Buffer.allocUnsafe(CHUNK);
  at = 0;

  /** The buffer to write `length` bytes into at `at`, a new one when this one is full. */
  room(length: number): Buffer {
    if (this.at + length > this.buffer.length) {
      if (this.at > 0) this.done.push(this.buffer.subarray(0, this.at));
      this.buffer = Buffer.allocUnsafe(Math.max(CHUNK, length));
      this.at = 0;
    }
    return this.buffer;
  }

  text(text: string): void {
    const bytes = Buffer.from(text);
    bytes.copy(this.room(bytes.length), this.at);
    this.at += bytes.length;
  }

  /** The chunks filled so far. */
  full(): Buffer[] {
    const done = this.done;
    this.done = [];
    return done;
  }

  /** Every chunk, the last one too. */
  all(): Buffer[] {
    if (this.at > 0) this.done.push(this.buffer.subarray(0, this.at));
    this.at = 0;
    return this.full();
  }
}

/** The first walk: the column widths, the number of rows and the rows set aside; null when this path cannot order them. */
function measure(source: SummarySource, filter: ListFilter): { widths: number[]; rows: number; aside: Aside[] } | null {
  const widths = TABLE_HEADER.slice(0, 5).map((h) => h.length);
  const aside: Aside[] = [];
  // Every ticket's number (not only those the filter keeps), rising, and those that came after a higher one:
  // one of those equal to another is the same id twice, which the table reads as one ticket (the slow path).
  const rising: number[] = [];
  const after: number[] = [];
  let rows = 0;
  let orderable = true;
  let last = Number.NEGATIVE_INFINITY;
  const walk = source.eachSummary((line, summary) => {
    if (!orderable) return;
    const fields = summary ?? (line!.plain ? null : fieldsOf(line!));
    const n = fields ? idNumber(fields.id) : lineNumber(line!);
    if (Number.isNaN(n)) {
      orderable = false;
      return;
    }
    if (rising.length === 0 || n > rising[rising.length - 1]!) rising.push(n);
    else after.push(n);
    if (fields ? !passes(fields, filter) : !linePasses(line!, filter)) return;
    rows++;
    let cells: Cells | null = null;
    if (fields) {
      cells = cellsOf(fields);
      for (let i = 0; i < 5; i++) widen(widths, i, cells[i]!.length);
    } else {
      const { start, tabs } = line!;
      widen(widths, 0, tabs[ID]! - start);
      widen(widths, 1, tabs[STATE]! - tabs[STATE - 1]! - 1);
      widen(widths, 2, tabs[PRIORITY]! - tabs[PRIORITY - 1]! - 1);
      widen(widths, 3, tabs[REPO]! - tabs[BRAND - 1]! - 1);
      widen(widths, 4, tabs[KIND]! - tabs[KIND - 1]! - 1);
    }
    if (n > last) last = n;
    else aside.push({ n, cells: cells ?? cellsOf(fieldsOf(line!)) });
  });
  for (const _ of walk) if (!orderable) return null;
  if (!orderable) return null;
  after.sort((a, b) => a - b);
  for (let i = 0; i < after.length; i++) if (after[i] === after[i - 1] || sortedIncludes(rising, after[i]!)) return null;
  // Stable, as the sort of the summaries.
  aside.sort((a, b) => a.n - b.n);
  return { widths, rows, aside };
}

function widen(widths: number[], column: number, width: number): void {
  if (width > widths[column]!) widths[column] = width;
}

function sortedIncludes(sorted: number[], n: number): boolean {
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (sorted[mid] === n) return true;
    if (sorted[mid]! < n) low = mid + 1;
    else high = mid - 1;
  }
  return false;
}

function passes(s: Fields, filter: ListFilter): boolean {
  return (!filter.state || s.state === filter.state) && (!filter.brand || s.brand === filter.brand);
}

/** As `passes`, for a line of printable ASCII (which a filter of other characters never matches). */
function linePasses({ text, tabs }: IndexLine, filter: ListFilter): boolean {
  return (!filter.state || fieldIs(text, tabs[STATE - 1]! + 1, tabs[STATE]!, filter.state)) && (!filter.brand || fieldIs(text, tabs[BRAND - 1]! + 1, tabs[BRAND]!, filter.brand));
}

function fieldIs(text: string, start: number, end: number, value: string): boolean {
  return end - start === value.length && text.startsWith(value, start);
}

/** A line's fields read as UTF-8 (a line that is not all printable ASCII). */
function fieldsOf({ buf, start, end, tabs }: IndexLine): Fields {
  const field = (f: number) => buf.toString('utf8', f === ID ? start : tabs[f - 1]! + 1, tabs[f]);
  return {
    id: field(ID),
    state: field(STATE) as Fields['state'],
    brand: field(BRAND),
    repo: field(REPO),
    kind: field(KIND) as Fields['kind'],
    priority: field(PRIORITY) as Fields['priority'],
    // The title has no escapes: its text is what is between its quotes (as the table reads it).
    title: buf.toString('utf8', tabs[UPDATED]! + 2, end - 1),
  };
}

function cellsOf(s: Fields): Cells {
  return [s.id, s.state, s.priority, `${s.brand}/${s.repo}`, s.kind, s.title].map((cell) => sanitizeLine(cell));
}

/** As `Tickets` orders them. */
function idNumber(id: string): number {
  return Number(id.slice(2));
}

/** As `idNumber` of the line's id: its digits read in place (no string per line), anything else as `idNumber` reads it. */
function lineNumber({ text, start, tabs }: IndexLine): number {
  const end = tabs[ID]!;
  if (end - start < 3 || end - start > 17) return Number(text.slice(start + 2, end));
  let n = 0;
  for (let i = start + 2; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(text.slice(start + 2, end));
    n = n * 10 + digit;
  }
  return n;
}
