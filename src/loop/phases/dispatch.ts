import { dispatch, summarizeDispatch } from '../../agents/dispatcher.js';
import type { Phase } from '../phase.js';

/** The dispatch phase: runs every ready ticket (agents and scripts) until nothing is ready or running. */
export const dispatchPhase: Phase = {
  name: 'dispatch',
  shouldRun: () => ({ run: true, reason: 'dispatch always runs' }),
  async run(context) {
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
