import type { Store } from '../../state/store.js';
import type { Phase } from '../phase.js';

/**
 * Why there is nothing to dispatch, or null when there may be: a ready
 * ticket, a run to recover or watch, or a blocked ticket whose question was
 * answered. Read from state alone, so an idle session never loads the runtime.
 */
function nothingToDispatch(store: Store): string | null {
  const { state } = store;
  // Summaries: deciding reads no ticket whole.
  const tickets = store.ticketSummaries();
  if (tickets.some((t) => t.state === 'ready' || t.state === 'running')) return null;
  const answered = new Set(
    Object.values(state.questions)
      .filter((q) => q.answer !== undefined && q.ticket)
      .map((q) => q.ticket),
  );
  if (tickets.some((t) => t.state === 'blocked' && answered.has(t.id))) return null;
  return 'nothing was ready';
}

/** The dispatch phase: runs every ready ticket (agents and scripts) until nothing is ready or running. */
export const dispatchPhase: Phase = {
  name: 'dispatch',
  shouldRun: () => ({ run: true, reason: 'dispatch always runs' }),
  async run(context) {
    const idle = nothingToDispatch(context.ws.store);
    if (idle) return { ok: true, summary: idle, result: { runs: [] } };
    // Loaded here, not at startup: the runtime brings the model SDK, which a session with nothing to run never needs.
    const { dispatch, summarizeDispatch } = await import('../../agents/dispatcher.js');
    const report = await dispatch({ ws: context.ws, bus: context.bus, sessionId: context.sessionId, signal: context.signal });
    const failed = report.runs.filter((r) => r.outcome === 'failed').map((r) => ({ ticket: r.ticket, reason: r.reason }));
    return {
      ok: true,
      summary: summarizeDispatch(report),
      result: {
        runs: report.runs.map((r) => ({ ticket: r.ticket, brand: r.brand, outcome: r.outcome, run: r.run, reason: r.reason })),
        failed,
        recovered: report.recovered,
        unblocked: report.unblocked,
        waiting: report.waiting,
        maxRunning: report.maxRunning,
        durationMs: report.durationMs,
      },
    };
  },
};
