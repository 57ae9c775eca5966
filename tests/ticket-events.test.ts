import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/doctor/index.js';
import type { GateEvidence, TicketPatch } from '../src/state/types.js';
import { claimTicketMint } from '../src/state/ticketMint.js';
import { openWorkspace } from '../src/workspace/open.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { master } from './helpers/cli.js';
import { appendLogLines } from './helpers/log.js';
import { makeWorkspaceWithFolders } from './helpers/workspace.js';

function workspace(): string {
  return makeWorkspaceWithFolders({ brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }] });
}

function evidence(verdict: 'pass' | 'fail'): GateEvidence {
  return {
    baseSha: 'b'.repeat(40),
    candidateSha: 'a'.repeat(40),
    checks: [{ name: 'test', command: 'node --test', exitCode: verdict === 'pass' ? 0 : 1, durationMs: 10, outputTail: 'tail' }],
    verdict: { verdict, reasons: [], mode: 'checks-only' },
    doctor: { grade: 'A', passed: 19, total: 19 },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
  };
}

function eventLines(home: string): Array<Record<string, unknown>> {
  const dir = workspacePaths(home).events;
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('only src/tickets makes ticket events', () => {
  it('the store refuses a ticket event built elsewhere, by type and at run time, and nothing is appended', async () => {
    const home = workspace();
    const ws = await openWorkspace(home);
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'one' });
    const before = eventLines(home).length;
    const transition = { type: 'ticket.transition', id: ticket.id, from: 'triage', to: 'ready', event: 'approve', by: 'someone' } as const;

    // @ts-expect-error a ticket event not minted by src/tickets is not a commit payload
    expect(() => ws.store.commit(() => ({ events: [transition], result: undefined }))).toThrow(/only src\/tickets makes ticket events/);
    // @ts-expect-error record takes no ticket events at all
    expect(() => ws.store.record({ type: 'ticket.created', ticket: { ...ticket, id: 'T-99' } })).toThrow(/only src\/tickets/);
    // A cast past the types does not help: the store knows which objects src/tickets made.
    expect(() => ws.store.commit(() => ({ events: [transition as never], result: undefined }))).toThrow(/built outside src\/tickets/);
    // Nor does claiming the mint a second time: src/tickets claimed it when it loaded.
    expect(() => claimTicketMint()).toThrow(/already claimed/);

    expect(eventLines(home)).toHaveLength(before);
    expect(ws.tickets.get(ticket.id).state).toBe('triage');
    // Through src/tickets the same change goes in.
    expect(ws.tickets.transition(ticket.id, 'approve').state).toBe('ready');
    await ws.store.close();
  });

  it('no patch sets gate evidence: the ticket keeps what the machine recorded on pass and reject', async () => {
    const home = workspace();
    const ws = await openWorkspace(home);
    const t = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'gated', state: 'ready' });
    ws.tickets.transition(t.id, 'dispatch', { by: 'dispatcher' });
    ws.tickets.transition(t.id, 'submit', { by: 'dispatcher' });
    // A patch cast past its type, through update and through a transition: the gate evidence stays untouched.
    const forged = { gate: evidence('pass') } as unknown as TicketPatch;
    expect(ws.tickets.update(t.id, () => forged).gate).toBeNull();
    expect(ws.tickets.transition(t.id, 'reject', { by: 'gate', patch: forged }).gate).toBeNull();
    ws.tickets.transition(t.id, 'retry');
    ws.tickets.transition(t.id, 'dispatch', { by: 'dispatcher' });
    ws.tickets.transition(t.id, 'submit', { by: 'dispatcher' });
    // Without evidence the machine refuses `pass`; with failing evidence `reject` records it.
    const failed = evidence('fail');
    expect(ws.tickets.transition(t.id, { type: 'reject', evidence: failed }, { by: 'gate' }).gate).toEqual(failed);
    ws.tickets.transition(t.id, 'retry');
    ws.tickets.transition(t.id, 'dispatch', { by: 'dispatcher' });
    ws.tickets.transition(t.id, 'submit', { by: 'dispatcher' });
    const passed = evidence('pass');
    expect(ws.tickets.transition(t.id, { type: 'pass', evidence: passed }, { by: 'gate' }).gate).toEqual(passed);
    // In the log, evidence rides on the transition, never in a patch.
    const lines = eventLines(home).filter((e) => e.type === 'ticket.transition' || e.type === 'ticket.updated');
    expect(lines.filter((e) => (e.patch as { gate?: unknown } | undefined)?.gate !== undefined)).toEqual([]);
    expect(lines.filter((e) => e.gate !== undefined).map((e) => e.event)).toEqual(['reject', 'pass']);
    await ws.store.close();

    // A hand-written `ticket.updated` line with evidence in its patch is applied without it.
    const again = await openWorkspace(home);
    appendLogLines(again.store, { type: 'ticket.updated', id: t.id, patch: { title: 'renamed', gate: evidence('fail') } as TicketPatch });
    expect(again.tickets.get(t.id)).toMatchObject({ title: 'renamed', gate: passed });
    await again.store.close();
  });
});

describe('a transition whose `from` is not the ticket state', () => {
  it('is refused by the reducer, quarantined and reported with its place, and accounted for by repair', async () => {
    const home = workspace();
    for (const title of ['one', 'two']) {
      expect(master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', title, '--home', home]).code).toBe(0);
    }
    // T-1 is in triage; a line claims it moved from review to merging (line 3 of the day's file, sequence 3).
    const dir = workspacePaths(home).events;
    const file = readdirSync(dir).sort().at(-1)!;
    const at = new Date().toISOString();
    appendFileSync(path.join(dir, file), `${JSON.stringify({ type: 'ticket.transition', id: 'T-1', from: 'review', to: 'merging', event: 'pass', by: 'gate', seq: 3, at })}\n`);

    // Later writes go on; the refused line changed nothing.
    expect(master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'three', '--home', home]).code).toBe(0);
    const show = master(['ticket', 'list', '--json', '--home', home]);
    expect(JSON.parse(show.stdout).map((t: { id: string; state: string }) => `${t.id}:${t.state}`)).toEqual(['T-1:triage', 'T-2:triage', 'T-3:triage']);

    // In process: the store says where and why, and keeps a copy in quarantine.
    const ws = await openWorkspace(home);
    await ws.store.close();
    const quarantine = workspacePaths(home).quarantine;
    const copies = readdirSync(quarantine);
    expect(copies).toHaveLength(1);
    const copy = JSON.parse(readFileSync(path.join(quarantine, copies[0]!), 'utf8'));
    expect(copy).toMatchObject({ file, line: 3 });
    expect(copy.reason).toBe('T-1 is triage, but this "pass" transition says it moves from review to merging');

    const doctor = await runDoctor({ paths: workspacePaths(home) });
    const log = doctor.checks.find((c) => c.id === 'state.log')!;
    expect(log.status).toBe('fail');
    expect(log.message).toContain(`${file} line 3: T-1 is triage, but this "pass" transition says it moves from review to merging`);

    const repair = master(['repair', '--home', home]);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toContain(`${file} line 3: T-1 is triage`);
    const after = (await runDoctor({ paths: workspacePaths(home) })).checks.find((c) => c.id === 'state.log')!;
    expect(after.status, after.message).toBe('pass');
    expect(after.message).toMatch(/accounted for/);

    // The ticket still moves by its machine from where it really is.
    expect(master(['ticket', 'move', 'T-1', 'approve', '--home', home]).code).toBe(0);
    const final = await openWorkspace(home);
    expect(final.tickets.get('T-1').state).toBe('ready');
    expect(final.tickets.get('T-1').history.map((h) => `${h.from}>${h.to}`)).toEqual(['triage>ready']);
    await final.store.close();
  });

  it('Tickets decides on the state caught up under the lock, so its transitions start where the ticket is', async () => {
    const home = workspace();
    const ws = await openWorkspace(home);
    const t = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'one' });
    // Another writer moves T-1 on behind this store's back (a line written straight into the log).
    appendLogLines(ws.store, { type: 'ticket.transition', id: t.id, from: 'triage', to: 'ready', event: 'approve', by: 'other' });
    // Tickets decides on state caught up under the lock, so its transition starts where the ticket is.
    expect(ws.tickets.transition(t.id, 'dispatch', { by: 'dispatcher' }).history.map((h) => h.to)).toEqual(['ready', 'running']);
    expect(ws.store.refused).toEqual([]);
    await ws.store.close();
  });
});
