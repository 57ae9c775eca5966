import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { checkTransition, eventsFrom, ticketMachine, type TicketMachineEvent } from '../machines/ticket.js';
import { TICKET_EVENTS, TICKET_STATES, type GateEvidence, type TicketEventName, type TicketState } from '../src/state/types.js';

const SHA_A = 'a'.repeat(40);
const SHA_B = 'b'.repeat(40);

function evidence(overrides: Partial<GateEvidence> = {}): GateEvidence {
  return {
    baseSha: SHA_B,
    candidateSha: SHA_A,
    checks: [{ name: 'test', command: 'node --test', exitCode: 0, durationMs: 10, outputTail: 'ok' }],
    verdict: { verdict: 'pass', reasons: [], mode: 'agent' },
    doctor: { grade: 'A', passed: 19, total: 19 },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    ...overrides,
  };
}

// The table of DESIGN.md, written out once more on purpose: the machine must match it exactly.
const ALLOWED: Array<[TicketEventName, TicketState[], TicketState]> = [
  ['approve', ['triage'], 'ready'],
  ['dispatch', ['ready'], 'running'],
  ['submit', ['running'], 'review'],
  ['fail', ['running'], 'failed'],
  ['requeue', ['running'], 'ready'],
  ['block', ['ready', 'running'], 'blocked'],
  ['unblock', ['blocked'], 'ready'],
  ['pass', ['review'], 'merging'],
  ['merge', ['merging'], 'merged'],
  ['rebuild', ['merging'], 'review'],
  ['reject', ['review', 'merging'], 'rejected'],
  ['retry', ['failed', 'rejected'], 'ready'],
  ['cancel', ['triage', 'ready', 'running', 'review', 'merging', 'failed', 'rejected', 'blocked'], 'cancelled'],
  ['reopen', ['cancelled'], 'triage'],
];

function eventFor(name: TicketEventName): TicketMachineEvent {
  if (name === 'pass') return { type: 'pass', evidence: evidence() };
  if (name === 'merge') return { type: 'merge', mainSha: SHA_A };
  return { type: name } as TicketMachineEvent;
}

describe('ticket machine', () => {
  const cases = TICKET_STATES.flatMap((state) => TICKET_EVENTS.map((event) => [state, event] as const));

  it.each(cases)('from %s, %s is allowed exactly as the table says', (state, event) => {
    const row = ALLOWED.find(([name]) => name === event)!;
    const expected = row[1].includes(state) ? row[2] : null;
    const context = { gate: state === 'merging' ? evidence() : null };
    const result = checkTransition(state, context, eventFor(event));
    if (expected) expect(result).toMatchObject({ ok: true, to: expected });
    else expect(result.ok).toBe(false);
  });

  it('its context is the evidence a ticket keeps: pass and a gate reject record theirs, other events keep it', () => {
    const failed = evidence({ verdict: { verdict: 'fail', reasons: ['no tests'], mode: 'agent' } });
    expect(checkTransition('review', { gate: null }, { type: 'pass', evidence: evidence() })).toEqual({ ok: true, to: 'merging', context: { gate: evidence() } });
    expect(checkTransition('review', { gate: null }, { type: 'reject', evidence: failed })).toEqual({ ok: true, to: 'rejected', context: { gate: failed } });
    expect(checkTransition('merging', { gate: evidence() }, { type: 'reject' })).toEqual({ ok: true, to: 'rejected', context: { gate: evidence() } });
    expect(checkTransition('rejected', { gate: failed }, { type: 'retry' })).toEqual({ ok: true, to: 'ready', context: { gate: failed } });
  });

  it('lists the events allowed from each state', () => {
    expect(eventsFrom('triage').sort()).toEqual(['approve', 'cancel']);
    expect(eventsFrom('merging').sort()).toEqual(['cancel', 'merge', 'rebuild', 'reject']);
    expect(eventsFrom('merged')).toEqual([]);
  });

  it('refuses pass without evidence, or with evidence of a failed step', () => {
    const noEvidence = checkTransition('review', { gate: null }, { type: 'pass', evidence: undefined as unknown as GateEvidence });
    expect(noEvidence).toMatchObject({ ok: false, reason: 'guard' });
    const failedCheck = evidence({ checks: [{ name: 'test', command: 'x', exitCode: 1, durationMs: 1, outputTail: '' }] });
    expect(checkTransition('review', { gate: null }, { type: 'pass', evidence: failedCheck })).toMatchObject({ ok: false });
    const verifierFail = evidence({ verdict: { verdict: 'fail', reasons: ['no'], mode: 'agent' } });
    expect(checkTransition('review', { gate: null }, { type: 'pass', evidence: verifierFail })).toMatchObject({ ok: false });
    const doctorB = evidence({ doctor: { grade: 'B', passed: 18, total: 19 } });
    expect(checkTransition('review', { gate: null }, { type: 'pass', evidence: doctorB })).toMatchObject({ ok: false });
  });

  it('refuses merge unless the evidence is for exactly the sha main points at', () => {
    expect(checkTransition('merging', { gate: evidence() }, { type: 'merge', mainSha: SHA_B })).toMatchObject({ ok: false, reason: 'guard' });
    expect(checkTransition('merging', { gate: null }, { type: 'merge', mainSha: SHA_A })).toMatchObject({ ok: false, reason: 'guard' });
    expect(checkTransition('merging', { gate: evidence() }, { type: 'merge', mainSha: SHA_A })).toEqual({ ok: true, to: 'merged', context: { gate: evidence() } });
  });

  it('survives a persistence round trip', () => {
    const actor = createActor(ticketMachine, { input: { gate: null } }).start();
    actor.send({ type: 'approve' });
    actor.send({ type: 'dispatch' });
    const persisted = actor.getPersistedSnapshot();
    actor.stop();
    const restored = createActor(ticketMachine, { input: { gate: null }, snapshot: JSON.parse(JSON.stringify(persisted)) }).start();
    expect(restored.getSnapshot().value).toBe('running');
    restored.send({ type: 'submit' });
    expect(restored.getSnapshot().value).toBe('review');
  });
});
