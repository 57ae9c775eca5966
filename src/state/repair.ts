import { readFileSync } from 'node:fs';
import type { WorkspacePaths } from '../workspace/paths.js';
import { readArchiveMonth, replaceArchiveMonth } from './archive.js';
import type { LogRead } from './eventLog.js';
import type { LoggedEvent } from './events.js';
import { applyEvent } from './reducer.js';
import { accountedFor } from './quarantine.js';
import { refusalSentence } from './refused.js';
import { Store } from './store.js';
import { emptyState, type State, type Ticket } from './types.js';

export interface RepairReport {
  events: number;
  tickets: number;
  seq: number;
  /** Every line of the log that was not applied, and every gap, one sentence each. */
  skipped: string[];
  /** Damaged lines and gaps recorded as accounted for by this repair (earlier repairs' are not repeated). */
  recorded: number;
  archive: { months: number; tickets: number };
  /** Id counters raised above what the log alone gives. */
  raised: string[];
  notices: string[];
}

/**
 * `master repair`: rebuilds the state snapshot and the archive from the event
 * log alone, quarantines every damaged line, and records in the log what it
 * skipped (so the doctor no longer counts it as unexplained). Ids handed out
 * before (by the old snapshot or the archive) stay taken.
 */
export async function repairWorkspace(paths: WorkspacePaths, options: { acceptLost?: boolean } = {}): Promise<RepairReport> {
  const before = oldCounters(paths.state);
  const { store, events, read } = await Store.rebuild(paths);
  const archive = rebuildArchive(paths.archive, read.events);
  const floor = { ...before, ticket: Math.max(before.ticket ?? 0, store.archivedTicketFloor()) };
  const raised = (Object.keys(store.state.counters) as Array<keyof State['counters']>)
    .filter((k) => (floor[k] ?? 0) > store.state.counters[k])
    .map((k) => `${k} ${store.state.counters[k]} → ${floor[k]}`);
  const seen = accountedFor(read.events);
  // Lines the reducer refused (a transition from a state the ticket was not in) count as damaged: quarantined, reported, recorded.
  const refused = [...store.refused];
  const damaged = [...read.damaged, ...refused].filter((d) => !seen.damaged.has(`${d.file}@${d.offset}`));
  // A lost write is accepted only when asked (`master repair`); damage alone is always safe to record.
  const gaps = read.gaps.filter((g) => !seen.gaps.has(`${g.after}>${g.next}`)).filter((g) => options.acceptLost !== false || g.damaged.length >= g.next - g.after - 1);
  if (damaged.length > 0 || gaps.length > 0 || raised.length > 0 || read.torn) {
    store.record({
      type: 'log.repaired',
      damaged: damaged.map(({ file, offset, line, reason }) => ({ file, offset, line, reason })),
      gaps: gaps.map((g) => ({ after: g.after, next: g.next, lost: g.damaged.length < g.next - g.after - 1 })),
      ...(raised.length ? { counters: floor } : {}),
    });
  }
  await store.writeSnapshot();
  await store.close();
  return {
    events,
    tickets: Object.keys(store.state.tickets).length,
    seq: store.state.seq,
    skipped: [...skippedLines(read), ...refused.map(refusalSentence)],
    recorded: damaged.length + gaps.length,
    archive,
    raised,
    notices: store.notices.filter((n) => !read.problems.includes(n) && !refused.some((r) => refusalSentence(r) === n)),
  };
}

function skippedLines(read: LogRead): string[] {
  return read.problems;
}

function oldCounters(file: string): Partial<State['counters']> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as { state?: { counters?: Partial<State['counters']> } };
    const counters = data?.state?.counters;
    return counters && typeof counters === 'object' ? counters : {};
  } catch {
    return {};
  }
}

/**
 * Replays the log and writes each archived ticket, as it was when archived,
 * to its month's file. What a month's file holds that the log does not know
 * is kept (the log wins for what it knows).
 */
export function rebuildArchive(dir: string, events: LoggedEvent[]): { months: number; tickets: number } {
  const state = emptyState();
  const months = new Map<string, Map<string, Ticket>>();
  for (const event of events) {
    if (event.type === 'ticket.archived') {
      for (const id of event.ids) {
        const ticket = state.tickets[id];
        if (!ticket) continue;
        const month = months.get(event.month) ?? new Map<string, Ticket>();
        month.set(id, structuredClone(ticket));
        months.set(event.month, month);
      }
    }
    applyEvent(state, event);
  }
  let count = 0;
  for (const [month, tickets] of months) {
    let kept: Record<string, Ticket> = {};
    try {
      kept = readArchiveMonth(dir, month).tickets ?? {};
    } catch {
      // unreadable: rebuilt from the log alone
    }
    replaceArchiveMonth(dir, month, { ...kept, ...Object.fromEntries(tickets) });
    count += tickets.size;
  }
  return { months: months.size, tickets: count };
}
