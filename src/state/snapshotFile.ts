import { openSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import type { LogPosition } from './eventLog.js';
import { indexLine, type TicketTable } from './ticketTable.js';
import type { State } from './types.js';

/**
 * The snapshot format this master writes: 1 kept every ticket inside
 * `state.json`; 2 keeps `state.json` small (the state without its tickets,
 * plus an index of summaries) and each ticket as one line of a ticket file
 * beside it, so a command reads the tickets it looks at and no others.
 */
export const SNAPSHOT_VERSION = 2;

/** The snapshot file: the state plus where in the log it ends. */
export interface Snapshot {
  version: number;
  seq: number;
  position: LogPosition;
  /**
   * Version 2: `state.tickets` is empty; the tickets are in `tickets.file`
   * (beside this file, `bytes` long): `indexBytes` of index lines, one per
   * ticket, then each ticket as a JSON line.
   */
  state: State;
  tickets?: { file: string; bytes: number; indexBytes: number; count: number };
}

/**
 * A lowdb adapter for the state snapshot: compact JSON, written to a temp file
 * unique to this process and renamed over the snapshot, so a reader or a crash
 * never sees half a file and two processes never share a temp file (steno's
 * fixed temp name would).
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  constructor(readonly file: string) {}

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    return JSON.parse(text) as T;
  }

  async write(data: T): Promise<void> {
    await writeAtomic(this.file, JSON.stringify(data));
  }
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(temp, data);
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/**
 * A ticket file's name: beside the snapshot, hidden, unique to its writer
 * (so a reader holding the previous one open keeps reading it whole). Its
 * name starts as the snapshot's temp files do, which the ticket-state guard
 * already keeps every tool from writing.
 */
export function ticketFileName(stateFile: string, seq: number): string {
  return `.${path.basename(stateFile)}.${seq}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.tickets`;
}

const TICKET_FILE = /^\.[^/]*\.tickets$/;

export function isTicketFileName(name: unknown, stateFile: string): name is string {
  return typeof name === 'string' && TICKET_FILE.test(name) && name.startsWith(`.${path.basename(stateFile)}.`);
}

/** A ticket file's content, as parts written in order (runs of untouched lines are slices of the file they come from). */
export interface TicketFileData {
  parts: Buffer[];
  bytes: number;
  indexBytes: number;
  count: number;
}

/** Small parts (new or changed tickets) are joined into writes of about this size. */
const WRITE_CHUNK = 1 << 20;

/**
 * The ticket file's content: the index, then the tickets. A ticket whose
 * line in the table's file is still the ticket is copied as it is, with its
 * neighbours in one run, without parsing it; only changed and new tickets
 * are serialized.
 */
export function serializeTickets(table: TicketTable): TicketFileData {
  const tickets: Buffer[] = [];
  let small: Buffer[] = [];
  let smallBytes = 0;
  const flushSmall = () => {
    if (small.length === 0) return;
    tickets.push(small.length === 1 ? small[0]! : Buffer.concat(small, smallBytes));
    small = [];
    smallBytes = 0;
  };
  const add = (part: Buffer) => {
    if (part.length >= WRITE_CHUNK) {
      flushSmall();
      tickets.push(part);
      return;
    }
    small.push(part);
    smallBytes += part.length;
    if (smallBytes >= WRITE_CHUNK) flushSmall();
  };
  // A run of untouched lines, consecutive in the old file: [start, end) of its ticket section, newlines included.
  let runStart = -1;
  let runEnd = -1;
  const flushRun = () => {
    if (runStart < 0) return;
    add(table.rawBytes(runStart, runEnd - runStart));
    runStart = runEnd = -1;
  };
  const newline = Buffer.from('\n');
  // Lines in an array joined once: a string grown 100,000 times is a rope that costs more to encode than to build.
  const index: string[] = [];
  let offset = 0;
  let count = 0;
  let preloaded = false;
  for (const entry of table.forSnapshot()) {
    count++;
    if ('summary' in entry) {
      if (!preloaded) {
        // Copying means reading most of the old file: once, not line by line.
        table.preload();
        preloaded = true;
      }
      index.push(indexLine(entry.summary, offset, entry.length));
      offset += entry.length + 1;
      // Extended only over lines that end in a newline where the index says (else the line is copied and a newline added).
      const endsInNewline = table.byteAt(entry.offset + entry.length) === 0x0a;
      if (endsInNewline && runStart >= 0 && entry.offset === runEnd) {
        runEnd = entry.offset + entry.length + 1;
        continue;
      }
      flushRun();
      if (endsInNewline) {
        runStart = entry.offset;
        runEnd = entry.offset + entry.length + 1;
      } else {
        add(table.rawBytes(entry.offset, entry.length));
        add(newline);
      }
      continue;
    }
    flushRun();
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    index.push(indexLine(entry, offset, line.length - 1));
    offset += line.length;
    add(line);
  }
  flushRun();
  flushSmall();
  const head = Buffer.from(index.join(''));
  return { parts: [head, ...tickets], bytes: head.length + offset, indexBytes: head.length, count };
}

export async function writeTicketFile(file: string, data: TicketFileData): Promise<void> {
  // A unique name nobody reads until the snapshot naming it is renamed into place: no temp file needed.
  try {
    await writeFile(file, data.parts);
  } catch (error) {
    await unlink(file).catch(() => undefined);
    throw error;
  }
}

/**
 * Removes ticket files no snapshot names any more. One written in the last
 * seconds is left: another process may be about to rename its snapshot
 * naming it. A reader that opened a removed one keeps reading it.
 */
export function removeStaleTicketFiles(stateFile: string, keep: string, mine: ReadonlySet<string> = new Set(), now = Date.now()): void {
  const dir = path.dirname(stateFile);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (name === keep || !isTicketFileName(name, stateFile)) continue;
    try {
      const file = path.join(dir, name);
      // This process's own earlier files are replaced by now; another's may be about to be named. The change
      // time counts too: a snapshot that holds the same tickets names a new hard link of the file, which updates it.
      const stat = statSync(file);
      if (mine.has(name) || now - Math.max(stat.mtimeMs, stat.ctimeMs) > 5000) unlinkSync(file);
    } catch {
      // gone already, or not ours to remove
    }
  }
}

/** Opens a snapshot's ticket file for reading; null with the reason when it is missing or not the size the snapshot says. */
export function openTicketFile(stateFile: string, tickets: NonNullable<Snapshot['tickets']>): { fd: number; file: string } | { problem: string; missing: boolean } {
  if (!isTicketFileName(tickets.file, stateFile)) return { problem: `its ticket file name "${String(tickets.file)}" is not one master writes`, missing: false };
  const file = path.join(path.dirname(stateFile), tickets.file);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { problem: `its ticket file ${tickets.file} is ${code === 'ENOENT' ? 'missing' : `unreadable (${code})`}`, missing: code === 'ENOENT' };
  }
  return { fd, file };
}

/** A small JSON file written whole or not at all (a cache: a failure to write it is not an error). */
export function writeJsonAtomicSync(file: string, value: unknown): boolean {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    writeFileSync(temp, JSON.stringify(value));
    renameSync(temp, file);
    return true;
  } catch {
    rmSync(temp, { force: true });
    return false;
  }
}
