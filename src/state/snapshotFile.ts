import { openSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';
import type { LogPosition } from './eventLog.js';
import { indexLine, type TicketTable } from './ticketTable.js';
import type { State, Ticket } from './types.js';

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

/** The ticket file's content: the index, then the tickets; a ticket never parsed is copied as it is. */
export function serializeTickets(table: TicketTable): { data: Buffer; indexBytes: number; count: number } {
  const lines: Buffer[] = [];
  let index = '';
  let offset = 0;
  let unparsed = 0;
  for (const [, entry] of table.walk()) if ('summary' in entry) unparsed++;
  if (unparsed > 1000) table.preload();
  const newline = Buffer.from('\n');
  for (const [, entry] of table.walk()) {
    const line = 'summary' in entry ? table.rawLine(entry) : Buffer.from(JSON.stringify(entry as Ticket));
    index += indexLine('summary' in entry ? entry.summary : entry, offset, line.length);
    lines.push(line, newline);
    offset += line.length + 1;
  }
  const head = Buffer.from(index);
  return { data: Buffer.concat([head, ...lines], head.length + offset), indexBytes: head.length, count: lines.length / 2 };
}

export async function writeTicketFile(file: string, data: Buffer): Promise<void> {
  // A unique name nobody reads until the snapshot naming it is renamed into place: no temp file needed.
  try {
    await writeFile(file, data);
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
      // This process's own earlier files are replaced by now; another's may be about to be named.
      if (mine.has(name) || now - statSync(file).mtimeMs > 5000) unlinkSync(file);
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
