import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { LoggedEvent } from './events.js';
import { eventShapeProblem } from './eventShape.js';
import { LogWriteError } from './fsErrors.js';

/** A place in the log: a day file and a byte offset into it. */
export interface LogPosition {
  file: string;
  offset: number;
}

export const LOG_START: LogPosition = { file: '', offset: 0 };

/** A complete line of the log that is not applied: unreadable, not an event, or out of sequence. */
export interface DamagedLine {
  file: string;
  /** 1-based line number in its file. */
  line: number;
  /** Byte offset of the line's start in its file. */
  offset: number;
  reason: string;
  /** The line as found (cut to a few hundred characters). */
  text: string;
}

/** Sequence numbers missing between two applied events, and the damaged lines found where they should be. */
export interface LogGap {
  after: number;
  next: number;
  file: string;
  line: number;
  damaged: DamagedLine[];
}

export interface LogRead {
  events: LoggedEvent[];
  position: LogPosition;
  /** What a person should know about this read, one sentence each. */
  problems: string[];
  damaged: DamagedLine[];
  gaps: LogGap[];
  /** A last line with no newline yet: a writer killed mid-append (never acknowledged). */
  torn: { file: string; offset: number; length: number } | null;
}

/** The file operations an append uses; swapped in tests to inject a full disk at any write. */
export interface LogIo {
  open(file: string): number;
  write(fd: number, data: Buffer, offset: number, length: number): number;
  sync(fd: number): void;
}

const REAL_IO: LogIo = {
  open: (file) => openSync(file, 'a+'),
  write: (fd, data, offset, length) => writeSync(fd, data, offset, length),
  sync: (fd) => fdatasyncSync(fd),
};

const FILE_PATTERN = /^\d{4}-\d{2}-\d{2}\.ndjson$/;
const KEEP_TEXT = 400;

interface Candidate {
  file: string;
  offset: number;
  value: unknown;
  problem: string | null;
  text: string;
}

/**
 * The append-only event log, one NDJSON file per UTC day: the commit point of
 * every change. Appends happen under the workspace write lock (the caller's).
 * Reading checks every line: only well-formed events in sequence are applied;
 * every other line is reported as damaged, with its file, line and reason.
 */
export class EventLog {
  constructor(
    readonly dir: string,
    private readonly io: LogIo = REAL_IO,
  ) {}

  files(): string[] {
    try {
      return readdirSync(this.dir)
        .filter((name) => FILE_PATTERN.test(name))
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Reads every complete line after `from`, given the last sequence number
   * already applied. A line with no newline yet at the end of the newest file
   * is left for later (a writer may be mid-append).
   */
  readFrom(from: LogPosition, lastSeq = 0): LogRead {
    const candidates: Candidate[] = [];
    let position = from;
    let torn: LogRead['torn'] = null;
    const files = this.files().filter((f) => f >= from.file);
    files.forEach((file, index) => {
      const start = file === from.file ? from.offset : 0;
      const buffer = readTail(path.join(this.dir, file), start);
      let consumed = 0;
      let at: number;
      while ((at = buffer.indexOf(0x0a, consumed)) !== -1) {
        const offset = start + consumed;
        const raw = buffer.subarray(consumed, at);
        consumed = at + 1;
        const text = raw.toString('utf8');
        if (!text.trim()) continue;
        candidates.push(parseLine(file, offset, text));
      }
      const rest = buffer.length - consumed;
      if (rest > 0) {
        if (index === files.length - 1) torn = { file, offset: start + consumed, length: rest };
        else {
          // An older day's file is never appended to again: its unfinished last line is damage, not a write in progress.
          const c = parseLine(file, start + consumed, buffer.subarray(consumed).toString('utf8'));
          candidates.push({ ...c, problem: `an unfinished last line of an older day's file${c.problem ? ` (${c.problem})` : ''}`, value: undefined });
        }
      }
      position = { file, offset: start + consumed };
    });
    const result = sequence(candidates, lastSeq);
    const read: LogRead = { ...result, position, problems: [], torn };
    this.describe(read);
    return read;
  }

  /** Fills in line numbers and the sentences of `problems`. */
  private describe(read: LogRead): void {
    const lines = new LineCounter(this.dir);
    for (const d of read.damaged) d.line = lines.at(d.file, d.offset);
    for (const g of read.gaps) g.line = lines.at(g.file, g.line);
    for (const d of read.damaged) read.problems.push(`${d.file} line ${d.line}: ${d.reason}; not applied`);
    for (const g of read.gaps) {
      const missing = g.next - g.after - 1;
      read.problems.push(
        `${g.file} line ${g.line}: sequence ${g.after + 1}${missing > 1 ? `–${g.next - 1}` : ''} missing before ${g.next}` +
          (g.damaged.length > 0
            ? ` (${g.damaged.length} damaged line${g.damaged.length === 1 ? '' : 's'} in ${missing === 1 ? 'its' : 'their'} place)`
            : ' with no damaged line in its place: lines were lost'),
      );
    }
    if (read.torn) {
      read.problems.push(`${read.torn.file}: the last line is incomplete (a writer was killed mid-append); it was ignored and the events before it stand`);
    }
  }

  /**
   * Appends events as lines to the file for `day` (never to a file older than
   * the newest one) and flushes them to disk. Returns the position after them
   * only once every byte is written and flushed; on any failure the file is
   * cut back to its previous length, so nothing half-written remains, and a
   * LogWriteError says why.
   */
  append(events: LoggedEvent[], day: string, onTorn?: (file: string, offset: number, bytes: Buffer) => void): LogPosition {
    let fd: number;
    let name: string;
    try {
      mkdirSync(this.dir, { recursive: true });
      const existing = this.files();
      const newest = existing[existing.length - 1];
      name = newest && newest > `${day}.ndjson` ? newest : `${day}.ndjson`;
      fd = this.io.open(path.join(this.dir, name));
    } catch (error) {
      throw new LogWriteError(this.dir, error, true);
    }
    try {
      let size = fstatSync(fd).size;
      const complete = endOfLastLine(fd, size);
      if (complete < size) {
        // A torn line from a killed writer was never flushed, so never acknowledged: drop it,
        // or ending it with a newline could revive it as an event under the next sequence number.
        if (onTorn) onTorn(name, complete, readRange(fd, complete, size - complete));
        ftruncateSync(fd, complete);
        size = complete;
      }
      const data = Buffer.from(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      try {
        let written = 0;
        while (written < data.length) {
          const n = this.io.write(fd, data, written, data.length - written);
          if (n <= 0) throw Object.assign(new Error('no bytes written'), { code: 'ENOSPC' });
          written += n;
        }
        this.io.sync(fd);
      } catch (error) {
        throw new LogWriteError(path.join(this.dir, name), error, rollBack(fd, size));
      }
      return { file: name, offset: size + data.length };
    } catch (error) {
      if (error instanceof LogWriteError) throw error;
      throw new LogWriteError(path.join(this.dir, name), error, true);
    } finally {
      closeSync(fd);
    }
  }

  /** The complete line that ends exactly at `position` (parsed), or null when there is none. */
  lineEndingAt(position: LogPosition): unknown {
    if (position.offset <= 0) return null;
    let fd: number;
    try {
      fd = openSync(path.join(this.dir, position.file), 'r');
    } catch {
      return undefined;
    }
    try {
      const size = fstatSync(fd).size;
      if (size < position.offset) return undefined;
      const last = readRange(fd, position.offset - 1, 1);
      if (last[0] !== 0x0a) return undefined;
      const start = endOfLastLine(fd, position.offset - 1);
      const text = readRange(fd, start, position.offset - 1 - start).toString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return null;
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** Cuts a failed append back to where it began; false when even that failed. */
function rollBack(fd: number, size: number): boolean {
  try {
    ftruncateSync(fd, size);
    fdatasyncSync(fd);
    return true;
  } catch {
    return false;
  }
}

function parseLine(file: string, offset: number, text: string): Candidate {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    return { file, offset, value: undefined, problem: `an unreadable line (${Buffer.byteLength(text)} bytes that are not JSON: torn or garbage)`, text: text.slice(0, KEEP_TEXT) };
  }
  const problem = eventShapeProblem(value);
  // Text is kept only for lines already known to be damaged: a full read holds every candidate at once.
  return { file, offset, value, problem, text: problem === null ? '' : text.slice(0, KEEP_TEXT) };
}

/**
 * Decides which well-formed lines are applied: the next sequence number is
 * applied; a number already applied is a duplicate; a number further ahead is
 * a gap (lines lost) only when no later line fills it in, otherwise that line
 * is out of place and the later lines are applied. So one bogus `seq` never
 * takes the valid events after it down with it.
 */
function sequence(candidates: Candidate[], lastSeq: number): Pick<LogRead, 'events' | 'damaged' | 'gaps'> {
  const events: LoggedEvent[] = [];
  const damaged: DamagedLine[] = [];
  const gaps: LogGap[] = [];
  const seqOf = (c: Candidate) => (c.problem === null ? (c.value as { seq: number }).seq : Infinity);
  const laterMin = new Array<number>(candidates.length + 1).fill(Infinity);
  for (let i = candidates.length - 1; i >= 0; i--) laterMin[i] = Math.min(laterMin[i + 1]!, seqOf(candidates[i]!));
  let last = lastSeq;
  let since: DamagedLine[] = [];
  const damage = (c: Candidate, reason: string) => {
    const d = { file: c.file, line: 0, offset: c.offset, reason, text: c.text || (c.value === undefined ? '' : JSON.stringify(c.value).slice(0, KEEP_TEXT)) };
    damaged.push(d);
    since.push(d);
  };
  // biome-ignore lint/suspicious/useIterableCallbackReturn: `return damage(…)` only ends this candidate; damage returns nothing
  candidates.forEach((c, i) => {
    if (c.problem !== null) return damage(c, c.problem);
    const seq = seqOf(c);
    if (seq <= last) return damage(c, `sequence ${seq} again after ${last} (a duplicate or out-of-order line)`);
    if (seq > last + 1 && filledLater(candidates, i, last, seq, laterMin[i + 1]!, seqOf)) {
      return damage(c, `sequence ${seq} out of place (${last + 1} was next, and later lines continue from there)`);
    }
    if (seq > last + 1) gaps.push({ after: last, next: seq, file: c.file, line: c.offset, damaged: since });
    events.push(c.value as LoggedEvent);
    last = seq;
    since = [];
  });
  return { events, damaged, gaps };
}

/** Whether a later well-formed line has a sequence number in (last, seq). */
function filledLater(candidates: Candidate[], i: number, last: number, seq: number, min: number, seqOf: (c: Candidate) => number): boolean {
  if (min >= seq) return false;
  if (min > last) return true;
  for (let j = i + 1; j < candidates.length; j++) {
    const s = seqOf(candidates[j]!);
    if (s > last && s < seq) return true;
  }
  return false;
}

/** Line numbers from byte offsets, counting each file once, only when something must be reported. */
class LineCounter {
  private readonly starts = new Map<string, number[]>();
  constructor(private readonly dir: string) {}

  at(file: string, offset: number): number {
    let starts = this.starts.get(file);
    if (!starts) {
      starts = [0];
      const buffer = readTail(path.join(this.dir, file), 0);
      let at = -1;
      while ((at = buffer.indexOf(0x0a, at + 1)) !== -1) starts.push(at + 1);
      this.starts.set(file, starts);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** The byte offset just after the file's last newline before `size` (0 when it has none). */
function endOfLastLine(fd: number, size: number): number {
  const chunk = Buffer.alloc(4096);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - chunk.length);
    const n = readSync(fd, chunk, 0, end - start, start);
    const at = chunk.subarray(0, n).lastIndexOf(0x0a);
    if (at !== -1) return start + at + 1;
    end = start;
  }
  return 0;
}

function readRange(fd: number, start: number, length: number): Buffer {
  const buffer = Buffer.alloc(Math.max(0, length));
  let read = 0;
  while (read < buffer.length) {
    const n = readSync(fd, buffer, read, buffer.length - read, start + read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}

function readTail(file: string, start: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    return size <= start ? Buffer.alloc(0) : readRange(fd, start, size - start);
  } finally {
    closeSync(fd);
  }
}
