import { EventLog, LOG_START } from '../state/eventLog.js';
import { addUsage, zeroUsage, type Usage } from '../state/types.js';
import { totalTokens } from '../agents/usage.js';

/** One row of the usage report: tokens and cost of a day, a brand or a ticket. */
export interface UsageRow {
  key: string;
  tokens: number;
  usage: Usage;
  runs: number;
  /** Some of the cost is an estimate (a Claude Code run on a subscription pays no list price). */
  estimate: boolean;
}

export interface UsageReport {
  since: string | null;
  brand: string | null;
  byDay: UsageRow[];
  byBrand: UsageRow[];
  byTicket: Array<UsageRow & { brand: string }>;
  total: UsageRow;
}

interface Recorded {
  type: 'usage.recorded';
  ticket: string;
  brand: string;
  run: string;
  day: string;
  usage: Usage;
  estimate?: boolean;
}

/**
 * Tokens and cost by day, brand and ticket, read from the event log (every
 * run of every executor records its usage there, archived tickets included).
 */
export function usageReport(eventsDir: string, filter: { since?: string; brand?: string } = {}): UsageReport {
  const groups = { day: new Map<string, UsageRow>(), brand: new Map<string, UsageRow>(), ticket: new Map<string, UsageRow & { brand: string }>() };
  const total: UsageRow = { key: 'total', tokens: 0, usage: zeroUsage(), runs: 0, estimate: false };
  const add = (row: UsageRow, entry: Recorded) => {
    row.usage = addUsage(row.usage, entry.usage);
    row.tokens = totalTokens(row.usage);
    row.runs++;
    row.estimate ||= !!entry.estimate;
  };
  const { events } = new EventLog(eventsDir).readFrom(LOG_START);
  for (const event of events) {
    if (event.type !== 'usage.recorded') continue;
    const entry = event as unknown as Recorded;
    if (filter.since && entry.day < filter.since) continue;
    if (filter.brand && entry.brand !== filter.brand) continue;
    const row = <R extends UsageRow>(map: Map<string, R>, key: string, extra: Omit<R, keyof UsageRow>) => {
      let found = map.get(key);
      if (!found) map.set(key, (found = { key, tokens: 0, usage: zeroUsage(), runs: 0, estimate: false, ...extra } as R));
      return found;
    };
    add(row(groups.day, entry.day, {}), entry);
    add(row(groups.brand, entry.brand, {}), entry);
    add(row(groups.ticket, entry.ticket, { brand: entry.brand }), entry);
    add(total, entry);
  }
  const sorted = <R extends UsageRow>(map: Map<string, R>) => [...map.values()].sort((a, b) => a.key.localeCompare(b.key, 'en', { numeric: true }));
  return {
    since: filter.since ?? null,
    brand: filter.brand ?? null,
    byDay: sorted(groups.day),
    byBrand: sorted(groups.brand),
    byTicket: sorted(groups.ticket),
    total,
  };
}

function money(row: UsageRow): string {
  return `$${row.usage.costUsd.toFixed(4)}${row.estimate ? ' (est.)' : ''}`;
}

/** The report as aligned text for the terminal. */
export function formatUsageReport(report: UsageReport): string {
  const scope = [report.brand ? `brand ${report.brand}` : 'all brands', report.since ? `since ${report.since}` : 'all days'].join(', ');
  if (report.total.runs === 0) return `no usage recorded (${scope})`;
  const section = (title: string, rows: UsageRow[], label: (r: UsageRow) => string) => {
    const cells = rows.map((r) => [label(r), `${r.tokens} tokens`, `${r.runs} run${r.runs === 1 ? '' : 's'}`, money(r)]);
    const widths = [0, 1, 2].map((i) => Math.max(...cells.map((c) => c[i]!.length)));
    return [`${title}:`, ...cells.map((c) => `  ${c.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ')}`)];
  };
  const lines = [
    `usage (${scope})`,
    ...section('by day', report.byDay, (r) => r.key),
    ...section('by brand', report.byBrand, (r) => r.key),
    ...section('by ticket', report.byTicket, (r) => `${r.key} (${(r as UsageRow & { brand: string }).brand})`),
    `total: ${report.total.tokens} tokens in ${report.total.runs} runs, ${money(report.total)}`,
  ];
  if (report.total.estimate) lines.push('(est.) marks cost estimated at list prices for Claude Code runs on a subscription, not billed amounts');
  return lines.join('\n');
}
