import { appendFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { LogPayload } from '../../src/state/events.js';
import type { Store } from '../../src/state/store.js';

/**
 * Appends lines to a workspace's event log as a writer other than this master
 * would (a hand edit, another tool): no ticket machine checks them. The store
 * takes them in on its next read, as it takes in what any other process wrote.
 */
export function appendLogLines(store: Store, ...payloads: LogPayload[]): void {
  store.refresh();
  let seq = store.state.seq;
  const at = store.now();
  mkdirSync(store.paths.events, { recursive: true });
  const newest = readdirSync(store.paths.events)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .at(-1);
  const day = `${at.slice(0, 10)}.ndjson`;
  const file = path.join(store.paths.events, newest && newest > day ? newest : day);
  appendFileSync(file, payloads.map((p) => JSON.stringify({ ...p, seq: ++seq, at })).join('\n') + '\n');
  store.refresh();
}
