import { statSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventLog } from '../src/state/eventLog.js';
import type { LoggedEvent } from '../src/state/events.js';
import { Store } from '../src/state/store.js';
import type { Ticket } from '../src/state/types.js';
import { Tickets } from '../src/tickets/index.js';
import { initWorkspace, writeRegistry } from '../src/workspace/init.js';
import { loadRegistryFile } from '../src/registry/load.js';
import { ms, stats, type Section } from './lib.js';

function ticket(n: number, at: string): Ticket {
  return {
    id: `T-${n}`,
    brand: 'alpha',
    repo: 'alpha-app',
    title: `Generated ticket number ${n} with a realistic title length`,
    body: 'A body of a few sentences, as an operator would write it: what to change, where, and why it matters.',
    acceptance: ['the change is covered by a test', 'the README mentions it'],
    kind: 'agent',
    run: [],
    priority: 'p2',
    state: 'triage',
    history: [],
    runs: [],
    gate: null,
    feedback: [],
    createdAt: at,
    updatedAt: at,
  };
}

/** A workspace whose log holds `count` created tickets (written in one append) and a snapshot of them. */
async function workspaceWith(count: number): Promise<{ home: string; store: Store; tickets: Tickets }> {
  const home = mkdtempSync(path.join(tmpdir(), `master-bench-${count}-`));
  const { paths } = initWorkspace(home);
  writeRegistry(paths, { brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }] });
  const at = new Date().toISOString();
  const log = new EventLog(paths.events);
  const batch = 10_000;
  for (let start = 1; start <= count; start += batch) {
    const events: LoggedEvent[] = [];
    for (let n = start; n < Math.min(start + batch, count + 1); n++) events.push({ type: 'ticket.created', ticket: ticket(n, at), seq: n, at });
    log.append(events, at.slice(0, 10));
  }
  const store = await Store.open(paths);
  await store.writeSnapshot();
  return { home, store, tickets: new Tickets(store, loadRegistryFile(paths.registry)) };
}

export async function storeBench(): Promise<Section> {
  const rows: Section['rows'] = [];
  const p50s: Record<number, number> = {};
  for (const count of [1_000, 10_000, 100_000]) {
    const { store, tickets } = await workspaceWith(count);
    const size = statSync(store.paths.state).size;
    const samples: number[] = [];
    const reps = 600;
    for (let i = 1; i <= reps; i++) {
      const start = performance.now();
      tickets.transition(`T-${i}`, 'approve', { by: 'bench' });
      samples.push(performance.now() - start);
    }
    await store.close();
    const s = stats(samples.slice(100));
    p50s[count] = s.p50;
    rows.push({
      tickets: count.toLocaleString('en-US'),
      'transition p50 (ms)': ms(s.p50),
      'transition p99 (ms)': ms(s.p99),
      repetitions: String(s.n),
      'snapshot size': `${(size / 2 ** 20).toFixed(1)} MiB`,
    });
  }
  const ratio = p50s[100_000]! / p50s[1_000]!;
  const met = p50s[10_000]! <= 5 && ratio <= 2;
  return {
    id: 'store',
    title: 'Ticket transition latency (in process) and snapshot size',
    target: 'p50 ≤ 5 ms at 10,000 tickets; p50 at 100,000 within 2× of the p50 at 1,000',
    rows,
    verdict: met ? 'met' : 'missed',
    notes: `p50 at 100,000 / p50 at 1,000 = ${ratio.toFixed(2)}×. Each transition is a real commit: write lock, catch-up read, append, fdatasync; the snapshot is written every 500 events, not per transition (the first 100 of 600 repetitions are warm-up).`,
  };
}
