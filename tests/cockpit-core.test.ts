import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Bus } from '../src/bus/index.js';
import { asMasterEvent } from '../src/bus/events.js';
import { CockpitController } from '../src/cockpit/controller.js';
import { CockpitModel } from '../src/cockpit/model.js';
import { FileLock } from '../src/state/lock.js';
import { TICKET_STATES, type TicketState } from '../src/state/types.js';
import { mainAction, operatorActions } from '../src/tickets/actions.js';
import { openWorkspace } from '../src/workspace/open.js';
import { BIN } from './helpers/cli.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';

describe('operator actions come from the ticket machine', () => {
  const allowed = (state: TicketState) =>
    operatorActions({ state, gate: null })
      .filter((a) => a.allowed)
      .map((a) => a.event);
  it.each([
    ['triage', ['approve', 'cancel']],
    ['ready', ['block', 'cancel']],
    ['running', ['block', 'cancel']],
    ['review', ['cancel']],
    ['merging', ['cancel']],
    ['merged', []],
    ['failed', ['cancel', 'retry']],
    ['rejected', ['cancel', 'retry']],
    ['blocked', ['unblock', 'cancel']],
    ['cancelled', ['reopen']],
  ] as Array<[TicketState, string[]]>)('%s allows %j', (state, events) => {
    expect(allowed(state).sort()).toEqual([...events].sort());
  });

  it('a refused action says why, and system events are never offered', () => {
    for (const state of TICKET_STATES) {
      const actions = operatorActions({ state, gate: null });
      expect(actions.map((a) => a.event).sort()).toEqual(['approve', 'block', 'cancel', 'reopen', 'retry', 'unblock']);
      for (const action of actions.filter((a) => !a.allowed)) expect(action.reason).toMatch(/needs|final/);
    }
    expect(operatorActions({ state: 'ready', gate: null }).find((a) => a.event === 'retry')!.reason).toBe('the ticket is ready; retry needs failed or rejected');
    expect(operatorActions({ state: 'merged', gate: null }).find((a) => a.event === 'cancel')!.reason).toMatch(/^a merged ticket is final/);
    expect(mainAction({ state: 'triage' })).toBe('approve');
    expect(mainAction({ state: 'running' })).toBeNull();
  });
});

describe('the cockpit model', () => {
  it('hands out immutable snapshots that a later commit never changes, one per frame however many events', async () => {
    const home = makeSimpleWorkspace();
    const bus = new Bus();
    const ws = await openWorkspace(home, { bus });
    let flushes = 0;
    const model = new CockpitModel(ws, { frameMs: 1_000_000, onFlush: () => flushes++ });
    model.attach(bus);
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'First' });
    model.flush();
    const before = model.getSnapshot();
    expect(Object.isFrozen(before)).toBe(true);
    expect(Object.isFrozen(before.tickets[0])).toBe(true);
    expect(before.tickets[0]!.state).toBe('triage');

    for (let i = 0; i < 200; i++) bus.publish({ type: 'agent.text', ticket: ticket.id, agent: 'a', text: `chunk ${i} ` });
    ws.tickets.transition(ticket.id, 'approve');
    expect(model.getSnapshot()).toBe(before);
    model.flush();
    const after = model.getSnapshot();
    expect(flushes).toBe(2);
    expect(after).not.toBe(before);
    expect(before.tickets[0]!.state).toBe('triage');
    expect(after.tickets[0]!.state).toBe('ready');
    expect(after.eventsSeen).toBe(before.eventsSeen + 201);
    // Streaming text continues one transcript line.
    expect(after.transcripts[ticket.id]!.filter((l) => l.kind === 'text')).toHaveLength(1);
    expect(() => (after.tickets as unknown as unknown[]).push(1)).toThrow();
    model.close();
    await ws.store.close();
  });

  it('types bus events as one union and leaves unknown types alone', () => {
    const bus = new Bus();
    const event = bus.publish({ type: 'gate.step', ticket: 'T-1', brand: 'alpha', repo: 'r', step: 'check', status: 'fail', name: 'test' });
    const typed = asMasterEvent(event);
    expect(typed?.type === 'gate.step' && typed.brand).toBe('alpha');
    expect(asMasterEvent(bus.publish({ type: 'something.else' }))).toBeNull();
  });
});

describe('the core under the cockpit', () => {
  it('a subscriber that throws is reported on the bus, on screen and in the log, and the others still get the event', async () => {
    const home = makeSimpleWorkspace();
    const ws = await openWorkspace(home);
    const controller = new CockpitController(ws, { passOnOpen: false, autoPass: false });
    controller.open();
    const seen: string[] = [];
    controller.bus.subscribe(() => {
      throw new Error('the widget broke');
    });
    controller.bus.subscribe((event) => seen.push(event.type));
    ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Anything' });
    expect(seen).toContain('ticket.created');
    expect(seen).toContain('bus.error');
    controller.model.flush();
    expect(controller.model.getSnapshot().notices.join('\n')).toContain('a subscriber failed on ticket.created: the widget broke');
    const logged = readdirSync(ws.paths.events)
      .map((f) => readFileSync(path.join(ws.paths.events, f), 'utf8'))
      .join('');
    expect(logged).toContain('"message":"a subscriber failed on ticket.created: the widget broke"');
    await controller.quit();
  });

  it('an action waits for another holder of the write lock without blocking the event loop', async () => {
    const home = makeSimpleWorkspace();
    const ws = await openWorkspace(home);
    const controller = new CockpitController(ws, { passOnOpen: false, autoPass: false });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Held up' });
    const other = new FileLock(ws.paths.writeLock, 'write');
    expect(other.tryAcquire().ok).toBe(true);
    let settled = false;
    const action = controller.act(ticket.id, 'approve').then((r) => {
      settled = true;
      return r;
    });
    // The loop keeps turning (drawing, keys) while the action waits.
    let turns = 0;
    await vi.waitFor(
      () => {
        turns++;
        if (turns < 20) throw new Error('still turning');
      },
      { interval: 1, timeout: 10_000 },
    );
    expect(settled).toBe(false);
    expect(ws.tickets.get(ticket.id).state).toBe('triage');
    other.release();
    expect(await action).toMatchObject({ ok: true });
    expect(ws.tickets.get(ticket.id).state).toBe('ready');
    await controller.quit();
  });

  it('a ticket added by another process appears in the cockpit by itself', async () => {
    const home = makeSimpleWorkspace();
    const ws = await openWorkspace(home);
    const controller = new CockpitController(ws, { passOnOpen: false, autoPass: false, frameMs: 5 });
    controller.open();
    const child = spawn(process.execPath, [BIN, 'ticket', 'add', '--home', home, '--brand', 'beta', '--repo', 'beta-app', '--title', 'From the other shell'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(await exited).toBe(0);
    // Nothing here refreshes the store: the watcher does (a file watch, else a 500 ms poll).
    await vi.waitFor(() => expect(controller.model.getSnapshot().tickets.map((t) => t.title)).toContain('From the other shell'), { timeout: 5_000, interval: 10 });
    await controller.quit();
  });
});
