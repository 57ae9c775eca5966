import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Registry } from '../../registry/schema.js';
import type { Store } from '../../state/store.js';
import type { Ticket } from '../../state/types.js';
import type { Catalog } from '../catalog.js';
import { parsePage } from '../page.js';

/** What one distiller reads: its brand's merged and rejected tickets and inbox notes since the last distillation. */
export interface CandidateGroup {
  /** A brand id, or `global` for notes that name no brand. */
  brand: string;
  merged: Ticket[];
  rejected: Ticket[];
  notes: Array<{ page: string; hash: string; text: string }>;
  /** From the event logs: what the guards refused this brand's agents, by reason, most frequent first. */
  refusals?: Array<{ reason: string; count: number }>;
}

const MAX_REFUSALS = 8;

/**
 * The guards' refusals since `since`, per brand, from the event logs (only
 * the days since then are read): what agents keep trying that the rules
 * forbid is knowledge too. Allows and other events are skipped unparsed.
 */
export function refusalsByBrand(eventsDir: string, since: string): Map<string, Array<{ reason: string; count: number }>> {
  const sinceDay = since.slice(0, 10);
  const counts = new Map<string, Map<string, number>>();
  let files: string[] = [];
  try {
    files = readdirSync(eventsDir).filter((f) => f.endsWith('.ndjson') && f.slice(0, 10) >= sinceDay);
  } catch {
    return new Map();
  }
  for (const file of files) {
    let text = '';
    try {
      text = readFileSync(path.join(eventsDir, file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"guard.decision"') || !line.includes('"deny"')) continue;
      let event: { type?: string; verdict?: string; brand?: string; reason?: string; guard?: string; at?: string };
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (event.type !== 'guard.decision' || event.verdict !== 'deny' || !event.brand || (event.at ?? '') <= since) continue;
      // Paths and ids differ per call; the guard and the reason's first words say what was tried.
      const reason = `${event.guard}: ${(event.reason ?? '').replace(/\/\S+/g, '…').slice(0, 140)}`;
      const byReason = counts.get(event.brand) ?? new Map<string, number>();
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
      counts.set(event.brand, byReason);
    }
  }
  const out = new Map<string, Array<{ reason: string; count: number }>>();
  for (const [brand, byReason] of counts) {
    out.set(
      brand,
      [...byReason]
        .map(([reason, count]) => ({ reason, count }))
        .sort((a, b) => b.count - a.count)
        .slice(0, MAX_REFUSALS),
    );
  }
  return out;
}

const MAX_NOTE = 4000;

function after(ticket: Ticket, event: 'merge' | 'reject', since: string): boolean {
  return ticket.history.some((h) => h.event === event && h.at > since);
}

/**
 * The candidates since `since`, one group per brand that has any: tickets
 * merged or rejected since then, and inbox notes not distilled yet in their
 * current form (a note edited afterwards is a candidate again).
 */
export function gatherCandidates(tickets: Iterable<Ticket>, registry: Registry, catalog: Catalog, since: string, seenNotes: Record<string, string>): CandidateGroup[] {
  const groups = new Map<string, CandidateGroup>();
  const group = (brand: string) => {
    let g = groups.get(brand);
    if (!g) groups.set(brand, (g = { brand, merged: [], rejected: [], notes: [] }));
    return g;
  };
  const brands = new Set(registry.brands.map((b) => b.id));
  for (const ticket of tickets) {
    if (!brands.has(ticket.brand)) continue;
    if (ticket.state === 'merged' && after(ticket, 'merge', since)) group(ticket.brand).merged.push(ticket);
    else if (after(ticket, 'reject', since)) group(ticket.brand).rejected.push(ticket);
  }
  for (const page of catalog.pages.values()) {
    if (page.folder !== 'inbox' || seenNotes[page.name] === page.hash) continue;
    const brand = page.brand && brands.has(page.brand) ? page.brand : 'global';
    group(brand).notes.push({ page: page.name, hash: page.hash, text: '' });
  }
  return [...groups.values()].sort((a, b) => a.brand.localeCompare(b.brand));
}

/**
 * The tickets that may be candidates since `since`, read whole only when
 * they can be: changed since then (a move sets `updatedAt`) and holding a
 * merge or a reject in their stored line.
 */
export function candidateTickets(store: Store, since: string): Ticket[] {
  return store.ticketsWhere((t) => t.updatedAt > since, ['"event":"merge"', '"event":"reject"']);
}

export function candidateCount(group: CandidateGroup): number {
  return group.merged.length + group.rejected.length + group.notes.length;
}

/** The distiller's material, as text: what it may classify, with the ids to cite as sources. */
export function candidatesText(group: CandidateGroup, readNote: (page: string) => string): string {
  const lines: string[] = [];
  if (group.merged.length) {
    lines.push("## Tickets merged (verified: the gate's checks, verifier and doctor passed)", '');
    for (const t of group.merged) {
      lines.push(`### ${t.id}: ${t.title} (repo ${t.repo})`);
      if (t.body.trim()) lines.push(t.body.trim());
      for (const a of t.acceptance) lines.push(`- accepted: ${a}`);
      if (t.gate) {
        lines.push(`- merged commit ${t.gate.candidateSha.slice(0, 12)}; verifier ${t.gate.verdict.verdict}: ${t.gate.verdict.reasons.join('; ')}`);
        lines.push(`- checks: ${t.gate.checks.map((c) => `${c.name} ${c.exitCode === 0 ? 'passed' : 'failed'}`).join(', ') || 'none'}`);
      }
      const summary = t.history.find((h) => h.event === 'submit')?.note;
      if (summary) lines.push(`- executor's summary: ${summary}`);
      lines.push('');
    }
  }
  if (group.rejected.length) {
    lines.push('## Tickets rejected (what did not work, and why)', '');
    for (const t of group.rejected) {
      const reason = t.history.filter((h) => h.event === 'reject').at(-1)?.note ?? 'no reason recorded';
      lines.push(`### ${t.id}: ${t.title} (repo ${t.repo})`, `- rejected: ${reason}`, '');
    }
  }
  if (group.refusals?.length) {
    lines.push('## From the event logs: what the guards refused this brand\'s agents (cite as "event log")', '');
    for (const r of group.refusals) lines.push(`- ${r.count}× ${r.reason}`);
    lines.push('');
  }
  if (group.notes.length) {
    lines.push('## Inbox notes (from the operator or agents; cite them as inbox/<name>)', '');
    for (const n of group.notes) {
      const body = parsePage(readNote(n.page), false).body.trim();
      lines.push(`### ${n.page}`, body.length > MAX_NOTE ? `${body.slice(0, MAX_NOTE)}…` : body, '');
    }
  }
  return lines.join('\n').trim();
}
