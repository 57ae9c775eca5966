import { writeSync } from 'node:fs';
import type { Bus, BusEvent } from '../bus/index.js';

/**
 * Test-only crash points. With `MASTER_TEST_PAUSE_AT=POINT[,POINT…]` set, the
 * first event that matches a point freezes this process (the whole thread
 * blocks, so nothing after that event happens), after writing
 * `master: paused at KEY` to stderr; a crash test then SIGKILLs the process
 * group at exactly that point, with no timer involved. Keys:
 *   gate.step:STEP:STATUS:TICKET   (gate.step:checkout:start, gate.step:merge:intent:T-3)
 *   ticket.EVENT:TICKET            (ticket.dispatch, ticket.merge:T-1)
 *   TYPE                           (any other event: run.started, merge.done:T-2)
 * A point matches its key or any key it is a prefix of, segment by segment.
 * Unset (always, outside tests) it costs nothing: no subscriber is added.
 */
export function pauseAtTestPoints(bus: Bus, env: NodeJS.ProcessEnv = process.env): void {
  const points = (env.MASTER_TEST_PAUSE_AT ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (points.length === 0) return;
  bus.subscribe((event) => {
    const key = eventKey(event);
    if (!points.some((point) => key === point || key.startsWith(`${point}:`))) return;
    writeSync(2, `master: paused at ${key}\n`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
}

/** The key a crash point is matched against. */
export function eventKey(event: BusEvent): string {
  const ticket = typeof event.ticket === 'string' ? event.ticket : typeof event.id === 'string' ? event.id : '';
  const parts = event.type === 'gate.step' ? ['gate.step', String(event.step), String(event.status)] : event.type === 'ticket.transition' ? [`ticket.${String(event.event)}`] : [event.type];
  return [...parts, ...(ticket ? [ticket] : [])].join(':');
}
