import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DamagedLine } from './eventLog.js';
import type { LoggedEvent } from './events.js';

/**
 * Keeps a copy of each damaged event-log line in `.master/quarantine/`, one
 * file per line with a report of where it was and why it was not applied. The
 * line itself stays in the log (byte positions of every reader stay valid);
 * it is never applied. Best effort: returns what could not be written.
 */
export function quarantineLines(dir: string, damaged: DamagedLine[], now: string): string[] {
  const failed: string[] = [];
  for (const d of damaged) {
    const file = path.join(dir, `${d.file}@${d.offset}.json`);
    const report = { file: d.file, line: d.line, offset: d.offset, reason: d.reason, text: d.text, quarantinedAt: now };
    if (!writeOnce(file, JSON.stringify(report, null, 2) + '\n')) failed.push(file);
  }
  return failed;
}

/** Keeps the bytes of a torn last line an append is about to cut off. */
export function quarantineTorn(dir: string, logFile: string, offset: number, bytes: Buffer): void {
  writeOnce(path.join(dir, `${logFile}@${offset}.torn`), bytes);
}

function writeOnce(file: string, data: string | Buffer): boolean {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data, { flag: 'wx' });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EEXIST';
  }
}

/** Keys of damaged lines and gaps that a `log.repaired` event already accounted for. */
export function accountedFor(events: LoggedEvent[]): { damaged: Set<string>; gaps: Set<string> } {
  const damaged = new Set<string>();
  const gaps = new Set<string>();
  for (const e of events) {
    if (e.type !== 'log.repaired') continue;
    for (const d of e.damaged ?? []) damaged.add(`${d.file}@${d.offset}`);
    for (const g of e.gaps ?? []) gaps.add(`${g.after}>${g.next}`);
  }
  return { damaged, gaps };
}
