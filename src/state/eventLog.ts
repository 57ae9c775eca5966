import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { LoggedEvent } from './events.js';

/** A place in the log: a day file and a byte offset into it. */
export interface LogPosition {
  file: string;
  offset: number;
}

export const LOG_START: LogPosition = { file: '', offset: 0 };

export interface LogRead {
  events: LoggedEvent[];
  position: LogPosition;
  /** Lines that could not be read: a torn last line or a corrupt one, with where they are. */
  problems: string[];
}

const FILE_PATTERN = /^\d{4}-\d{2}-\d{2}\.ndjson$/;

/**
 * The append-only event log, one NDJSON file per UTC day: the commit point of
 * every change. Appends happen under the workspace write lock (the caller's).
 */
export class EventLog {
  constructor(readonly dir: string) {}

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

  /** Reads every complete line after `from`; a line with no newline yet is left for later. */
  readFrom(from: LogPosition): LogRead {
    const events: LoggedEvent[] = [];
    const problems: string[] = [];
    let position = from;
    for (const file of this.files()) {
      if (file < from.file) continue;
      const start = file === from.file ? from.offset : 0;
      const { text } = readTail(path.join(this.dir, file), start);
      let consumed = 0;
      let index: number;
      while ((index = text.indexOf('\n', consumed)) !== -1) {
        const line = text.slice(consumed, index);
        consumed = index + 1;
        if (!line.trim()) continue;
        try {
          events.push(JSON.parse(line) as LoggedEvent);
        } catch {
          problems.push(`${file}: an unreadable line at byte ${start + Buffer.byteLength(text.slice(0, consumed - line.length - 1))} was skipped (${line.length} characters, likely torn by a killed writer)`);
        }
      }
      const rest = text.slice(consumed);
      if (rest.length > 0) {
        problems.push(`${file}: the last line is incomplete (a writer was killed mid-append); it was ignored and the events before it stand`);
      }
      position = { file, offset: start + Buffer.byteLength(text.slice(0, consumed)) };
    }
    return { events, position, problems };
  }

  /**
   * Appends events as lines to the file for `day` (never to a file older than
   * the newest one) and flushes them to disk. Returns the position after them.
   */
  append(events: LoggedEvent[], day: string): LogPosition {
    mkdirSync(this.dir, { recursive: true });
    const existing = this.files();
    const newest = existing[existing.length - 1];
    const name = newest && newest > `${day}.ndjson` ? newest : `${day}.ndjson`;
    const file = path.join(this.dir, name);
    const fd = openSync(file, 'a+');
    try {
      let size = fstatSync(fd).size;
      const complete = endOfLastLine(fd, size);
      if (complete < size) {
        // A torn line from a killed writer was never flushed, so never acknowledged: drop it,
        // or ending it with a newline could revive it as an event under the next sequence number.
        ftruncateSync(fd, complete);
        size = complete;
      }
      const data = Buffer.from(events.map((e) => JSON.stringify(e)).join('\n') + '\n');
      writeSync(fd, data);
      fdatasyncSync(fd);
      return { file: name, offset: size + data.length };
    } finally {
      closeSync(fd);
    }
  }
}

/** The byte offset just after the file's last newline (0 when it has none). */
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

function readTail(file: string, start: number): { text: string; size: number } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size <= start) return { text: '', size };
    const buffer = Buffer.alloc(size - start);
    let read = 0;
    while (read < buffer.length) {
      const n = readSync(fd, buffer, read, buffer.length - read, start + read);
      if (n === 0) break;
      read += n;
    }
    return { text: buffer.subarray(0, read).toString('utf8'), size };
  } finally {
    closeSync(fd);
  }
}
