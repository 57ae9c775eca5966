import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StoreWriteError } from './fsErrors.js';
import type { Ticket } from './types.js';

/** Cold storage of closed tickets: `.master/archive/YYYY-MM.json`, one object per month. */
export interface ArchiveMonth {
  tickets: Record<string, Ticket>;
}

export function archiveFile(dir: string, month: string): string {
  return path.join(dir, `${month}.json`);
}

export function readArchiveMonth(dir: string, month: string): ArchiveMonth {
  try {
    return JSON.parse(readFileSync(archiveFile(dir, month), 'utf8')) as ArchiveMonth;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { tickets: {} };
    throw error;
  }
}

/** Adds tickets to a month's file (temp file + rename). Idempotent: a ticket archived twice is kept once. */
export function writeToArchive(dir: string, month: string, tickets: Ticket[]): void {
  const current = readArchiveMonth(dir, month);
  for (const ticket of tickets) current.tickets[ticket.id] = ticket;
  replaceArchiveMonth(dir, month, current.tickets);
}

/** Writes a month's file with exactly these tickets (temp file, flushed, renamed over it). */
export function replaceArchiveMonth(dir: string, month: string, tickets: Record<string, Ticket>): void {
  mkdirSync(dir, { recursive: true });
  const file = archiveFile(dir, month);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(temp, 'w');
    try {
      writeFileSync(fd, JSON.stringify({ tickets }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new StoreWriteError(`write the archive of ${month}`, file, error);
  }
}

/** Every archived ticket, oldest month first; a month file that cannot be read is skipped (the caller says so). */
export function readAllArchived(dir: string): Ticket[] {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => /^\d{4}-\d{2}\.json$/.test(n))
      .sort();
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    try {
      return Object.values(readArchiveMonth(dir, name.slice(0, 7)).tickets ?? {});
    } catch {
      return [];
    }
  });
}
