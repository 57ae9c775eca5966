import { assign, setup, transition } from 'xstate';
import type { GateEvidence, TicketEventName, TicketState } from '../src/state/types.js';

/**
 * Events of the ticket lifecycle; `pass` and `merge` carry what their guards
 * check, and a gate's `reject` may carry the evidence it failed on (kept for
 * the operator and the next attempt).
 */
export type TicketMachineEvent =
  | { type: Exclude<TicketEventName, 'pass' | 'merge' | 'reject'> }
  | { type: 'pass'; evidence: GateEvidence }
  | { type: 'reject'; evidence?: GateEvidence }
  | { type: 'merge'; mainSha: string };

export interface TicketContext {
  gate: GateEvidence | null;
}

/** Whether gate evidence shows every step passed for its candidate commit. */
export function evidencePasses(evidence: GateEvidence | null | undefined): boolean {
  if (!evidence) return false;
  return (
    /^[0-9a-f]{40}$/.test(evidence.candidateSha) &&
    /^[0-9a-f]{40}$/.test(evidence.baseSha) &&
    evidence.checks.every((check) => check.exitCode === 0 && !check.timedOut) &&
    evidence.verdict.verdict === 'pass' &&
    evidence.doctor.grade === 'A'
  );
}

const toCancelled = { cancel: 'cancelled' } as const;

/** The single source of truth for which ticket transitions exist. Pure: no I/O. */
export const ticketMachine = setup({
  types: {
    context: {} as TicketContext,
    events: {} as TicketMachineEvent,
    input: {} as Partial<TicketContext> | undefined,
  },
  guards: {
    evidenceComplete: ({ event }) => event.type === 'pass' && evidencePasses(event.evidence),
    evidenceIsMain: ({ context, event }) => event.type === 'merge' && evidencePasses(context.gate) && context.gate !== null && context.gate.candidateSha === event.mainSha,
  },
  actions: {
    // The evidence a ticket keeps is this context: src/tickets stores what the machine assigned, never its own copy.
    recordEvidence: assign({
      gate: ({ event, context }) => ((event.type === 'pass' || event.type === 'reject') && event.evidence ? event.evidence : context.gate),
    }),
  },
}).createMachine({
  id: 'ticket',
  initial: 'triage',
  context: ({ input }) => ({ gate: input?.gate ?? null }),
  states: {
    triage: { on: { approve: 'ready', ...toCancelled } },
    ready: { on: { dispatch: 'running', block: 'blocked', ...toCancelled } },
    running: {
      on: { submit: 'review', fail: 'failed', requeue: 'ready', block: 'blocked', ...toCancelled },
    },
    review: {
      on: {
        pass: { target: 'merging', guard: 'evidenceComplete', actions: 'recordEvidence' },
        reject: { target: 'rejected', actions: 'recordEvidence' },
        ...toCancelled,
      },
    },
    merging: {
      on: {
        merge: { target: 'merged', guard: 'evidenceIsMain' },
        rebuild: 'review',
        reject: { target: 'rejected', actions: 'recordEvidence' },
        ...toCancelled,
      },
    },
    merged: { type: 'final' },
    failed: { on: { retry: 'ready', ...toCancelled } },
    rejected: { on: { retry: 'ready', ...toCancelled } },
    blocked: { on: { unblock: 'ready', ...toCancelled } },
    cancelled: { on: { reopen: 'triage' } },
  },
});

function snapshotAt(state: TicketState, context: TicketContext) {
  return ticketMachine.resolveState({ value: state, context });
}

/** Events that have a transition out of `state` (guards aside). */
export function eventsFrom(state: TicketState): TicketEventName[] {
  const node = ticketMachine.states[state];
  return node ? (Object.keys(node.on) as TicketEventName[]) : [];
}

export type TransitionCheck = { ok: true; to: TicketState; context: TicketContext } | { ok: false; reason: 'no-transition' | 'guard'; allowed: TicketEventName[] };

/** Decides a transition with the machine: the target state and the machine's context after it, or why it is refused. */
export function checkTransition(state: TicketState, context: TicketContext, event: TicketMachineEvent): TransitionCheck {
  const allowed = eventsFrom(state);
  if (!allowed.includes(event.type)) return { ok: false, reason: 'no-transition', allowed };
  const snapshot = snapshotAt(state, context);
  if (!snapshot.can(event)) return { ok: false, reason: 'guard', allowed };
  const [next] = transition(ticketMachine, snapshot, event);
  return { ok: true, to: next.value as TicketState, context: next.context };
}
