import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Ticket } from '../../state/types.js';
import type { Finding } from './findings.js';

/** One section of the day's ledger: a heading that identifies it, so a rerun never adds it twice. */
export interface LedgerEntry {
  heading: string;
  lines: string[];
}

export function ticketEntry(ticket: Ticket): LedgerEntry {
  const merge = ticket.history.find((h) => h.event === 'merge');
  return {
    heading: `${ticket.id}: ${ticket.title}`,
    lines: [
      `- brand: ${ticket.brand}, repo: ${ticket.repo}, merged ${merge?.at ?? ''}`,
      ...(ticket.gate ? [`- commit ${ticket.gate.candidateSha.slice(0, 12)}; verifier: ${ticket.gate.verdict.verdict}`] : []),
      ...ticket.acceptance.map((a) => `- accepted: ${a}`),
    ],
  };
}

export function findingEntry(finding: Finding): LedgerEntry {
  return {
    heading: `${finding.id}: ${finding.change} ${finding.target} (${finding.confidence})`,
    lines: [`- brand: ${finding.brand}; sources: ${finding.sources.join(', ')}`, ...(finding.note ? [`- ${finding.note}`] : []), '', ...finding.content.split('\n').map((l) => `> ${l}`)],
  };
}

/**
 * Adds entries to `wiki/ledger/DAY.md` (a page like any other, so Obsidian
 * shows it), keeping what is there; an entry whose heading is already in it
 * is not added again. Returns the headings added.
 */
export function appendLedger(wikiRoot: string, day: string, updatedAt: string, entries: LedgerEntry[], notes: string[] = []): string[] {
  const dir = path.join(wikiRoot, 'ledger');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${day}.md`);
  const earlier = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = earlier.includes('\n## ') ? earlier.slice(earlier.indexOf('\n## ') + 1).trimEnd() + '\n\n' : '';
  const fresh = entries.filter((e) => !kept.includes(`## ${e.heading}\n`));
  const freshNotes = notes.filter((n) => !kept.includes(n));
  if (earlier && fresh.length === 0 && freshNotes.length === 0) return [];
  const frontmatter = ['---', `title: Ledger ${day}`, 'brand: global', 'tags: [ledger]', `updated: ${updatedAt}`, '---', ''];
  const body = kept + [...freshNotes.map((n) => `${n}\n`), ...fresh.map((e) => [`## ${e.heading}`, '', ...e.lines, ''].join('\n'))].join('\n');
  writeFileSync(file, [...frontmatter, `# Ledger ${day}`, '', body.trimEnd(), ''].join('\n'));
  return fresh.map((e) => e.heading);
}
