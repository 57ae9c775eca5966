import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { wikiDataDir, writeAtomic } from '../catalog.js';

/** What a distiller may propose: its only output. */
export const FindingInput = z.strictObject({
  confidence: z.enum(['high', 'medium', 'low']),
  target: z.string().check(
    z.trim(),
    z.regex(/^[a-z0-9][\w-]*(\/[\w][\w.-]*)+$/i, 'a page name: folder/page (path under wiki/ without .md), e.g. umano/release-process'),
    z.refine((t) => !t.split('/').includes('..'), 'no ".." in a page name'),
  ),
  change: z.enum(['create', 'update', 'append']),
  title: z.optional(z.string().check(z.trim(), z.minLength(1))),
  content: z.string().check(z.trim(), z.minLength(1, 'the text to write')),
  sources: z.array(z.string().check(z.trim(), z.minLength(1))).check(z.minLength(1, 'at least one source: a ticket id, a commit, a log or note reference')),
  reason: z.optional(z.string().check(z.trim())),
});
export type FindingInput = z.infer<typeof FindingInput>;

export type FindingStatus =
  /** Classified, not yet routed. */
  | 'proposed'
  /** Medium: waits for the operator's answer to `question`. */
  | 'pending'
  /** The authority wrote it. */
  | 'written'
  /** In the day's ledger only (low, declined, refused, or the authority did not write it). */
  | 'ledger';

export interface Finding extends FindingInput {
  id: string;
  day: string;
  /** The brand whose distiller proposed it (`global` for the cross-brand distiller). */
  brand: string;
  status: FindingStatus;
  /** Which contract writes (or would write) it. */
  authority?: 'librarian' | 'operator-global';
  question?: string;
  /** Why it went to the ledger instead of a page. */
  note?: string;
  /** The ledger already lists it (so a rerun never lists it twice). */
  inLedger?: boolean;
}

/** The distillation's durable record: every finding and which brands a day's distillers finished. */
export interface FindingsFile {
  version: 1;
  counter: number;
  findings: Finding[];
  /** Day → brands whose distiller's findings are recorded (a rerun skips them). */
  distilled: Record<string, string[]>;
  /** Inbox notes distilled, with the hash they had then (an edited note is a candidate again). */
  notes: Record<string, string>;
}

export function findingsPath(dataDir: string): string {
  return path.join(wikiDataDir(dataDir), 'findings.json');
}

export function readFindings(dataDir: string): FindingsFile {
  try {
    const data = JSON.parse(readFileSync(findingsPath(dataDir), 'utf8')) as FindingsFile;
    if (data.version === 1 && Array.isArray(data.findings)) return { ...data, distilled: data.distilled ?? {}, notes: data.notes ?? {} };
  } catch {
    // None yet.
  }
  return { version: 1, counter: 0, findings: [], distilled: {}, notes: {} };
}

/** Saved after every step (temp file and rename), so a crash loses nothing done and repeats nothing written. */
export function saveFindings(dataDir: string, file: FindingsFile): void {
  writeAtomic(findingsPath(dataDir), `${JSON.stringify(file, null, 2)}\n`);
}
