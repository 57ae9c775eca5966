import type { GateOptions, GateOutcome } from '../../gate/types.js';
import type { Phase, PhaseContext } from '../phase.js';

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function summarize(outcomes: GateOutcome[]): string {
  const merged = outcomes.filter((o) => o.result === 'merged');
  const rejected = outcomes.filter((o) => o.result === 'rejected');
  const waiting = outcomes.filter((o) => o.result === 'waiting');
  const dropped = outcomes.filter((o) => o.result === 'dropped');
  const parts = [
    `${merged.length} merged`,
    `${rejected.length} rejected`,
    `${waiting.length} waiting${waiting.length ? ` (${waiting.map((o) => o.ticket).join(', ')})` : ''}`,
    ...(dropped.length ? [`${dropped.length} dropped (moved meanwhile)`] : []),
  ];
  // A gate that broke on a ticket fails the phase: the phase's own line says why (the waiting ones each have a note).
  const crashed = outcomes.filter((o) => o.crashed).map((o) => (o.reason.startsWith(o.ticket) ? o.reason : `${o.ticket}: ${o.reason}`));
  return `merge gate: ${parts.join(', ')}${crashed.length ? `; ${crashed.join('; ')}` : ''}`;
}

/** What the merge phase gives the gate: its options, and what to close after (the model the verifier used). */
export type GateSetup = (context: PhaseContext) => Promise<{ options: GateOptions; close?: () => Promise<void> }>;

/** Builds the merge phase; `setup` supplies the gate's verifier (and doctor), by default the system's own. */
export function mergePhaseWith(setup: GateSetup): Phase {
  return {
    name: 'merge',
    shouldRun({ ws }) {
      const tickets = ws.store.ticketSummaries();
      const review = tickets.filter((t) => t.state === 'review').length;
      const merging = tickets.filter((t) => t.state === 'merging').length;
      if (review + merging === 0) return { run: false, reason: 'skip merge: no ticket in review' };
      const what = [review ? `${count(review, 'ticket')} in review` : '', merging ? `${merging} in merging` : ''].filter(Boolean).join(', ');
      return { run: true, reason: `merge: ${what}` };
    },
    async run(context) {
      const { runMergeGate } = await import('../../gate/queue.js');
      const { options, close } = await setup(context);
      try {
        const outcomes = await runMergeGate(context.ws, { bus: context.bus, signal: context.signal, ...options });
        // A gate that crashed on a ticket is a phase that could not complete (`master start` exits 1).
        const ok = !outcomes.some((o) => o.crashed);
        // Every ticket the gate left waiting says why on a line of its own (the summary only names them).
        for (const o of outcomes.filter((o) => o.result === 'waiting')) {
          context.bus.publish({ type: 'note', message: o.reason.startsWith(o.ticket) ? o.reason : `${o.ticket}: ${o.reason}` });
        }
        return { ok, summary: summarize(outcomes), result: { outcomes } };
      } finally {
        await close?.();
      }
    },
  };
}

/** Merge runs when a ticket is in review (or left in merging): the gate, one queue per repo. */
export const mergePhase: Phase = mergePhaseWith(async (context) => {
  const { systemVerifier } = await import('../../gate/verifierAgent.js');
  const { verifier, close } = await systemVerifier(context);
  return { options: verifier ? { verifier } : {}, close };
});
