import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DamagedLine } from './eventLog.js';
import type { LoggedEvent } from './events.js';

/** An event of the log that the reducer refused, and why. */
export interface Refusal {
  event: LoggedEvent;
  reason: string;
}

const FILE_PATTERN = /^\d{4}-\d{2}-\d{2}\.ndjson$/;
const KEEP_TEXT = 400;

/**
 * Where refused events are in the log, as damaged lines (file, line, offset,
 * the line's text), so they are reported, quarantined and accounted for by
 * `master repair` like any other line that is not applied. Refusals are rare:
 * the files from the first refused event's day on are read only then.
 */
export function locateRefusals(dir: string, refusals: Refusal[]): DamagedLine[] {
  if (refusals.length === 0) return [];
  const wanted = new Map(refusals.map((r) => [r.event.seq, r]));
  const firstDay = refusals.map((r) => `${r.event.at.slice(0, 10)}.ndjson`).sort()[0]!;
  const found: DamagedLine[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => FILE_PATTERN.test(f) && f >= firstDay)
      .sort();
  } catch {
    // no log folder: reported below without a place
  }
  for (const file of files) {
    if (wanted.size === 0) break;
    let buffer: Buffer;
    try {
      buffer = readFileSync(path.join(dir, file));
    } catch {
      continue;
    }
    let start = 0;
    let line = 1;
    while (start < buffer.length && wanted.size > 0) {
      let end = buffer.indexOf(0x0a, start);
      if (end === -1) end = buffer.length;
      const text = buffer.subarray(start, end).toString('utf8');
      const refusal = text.includes('"seq":') ? matching(text, wanted) : undefined;
      if (refusal) {
        wanted.delete(refusal.event.seq);
        found.push({ file, line, offset: start, reason: refusal.reason, text: text.slice(0, KEEP_TEXT) });
      }
      start = end + 1;
      line++;
    }
  }
  // Not found (the file changed meanwhile): still reported, by sequence number.
  for (const r of wanted.values()) {
    found.push({ file: `${r.event.at.slice(0, 10)}.ndjson`, line: 0, offset: -r.event.seq, reason: `sequence ${r.event.seq}: ${r.reason}`, text: JSON.stringify(r.event).slice(0, KEEP_TEXT) });
  }
  return found;
}

function matching(text: string, wanted: Map<number, Refusal>): Refusal | undefined {
  let value: { seq?: unknown; type?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch {
    return undefined;
  }
  const refusal = typeof value?.seq === 'number' ? wanted.get(value.seq) : undefined;
  return refusal && refusal.event.type === value.type ? refusal : undefined;
}

/** The sentence that reports a refused line, as the log's other problems are. */
export function refusalSentence(line: DamagedLine): string {
  return `${line.file} line ${line.line}: ${line.reason}; not applied`;
}
