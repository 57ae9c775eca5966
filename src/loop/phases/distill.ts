import { answeredApprovals, pendingCandidates } from '../../wiki/distill/cadence.js';
import { calendarDay, humanTime } from '../../calendar.js';
import type { Phase } from '../phase.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Once per calendar day (workspace time zone), when something happened
 * since the last distillation (tickets merged or rejected, inbox notes):
 * the distillers classify it and the authorities write the wiki. Approvals
 * the operator answered are acted on whenever they are answered.
 */
export const distillPhase: Phase = {
  name: 'distill',
  shouldRun(context) {
    const { ws } = context;
    const { registry, store } = ws;
    const approved = answeredApprovals(ws);
    if (approved > 0) return { run: true, reason: `distill: ${plural(approved, 'answered wiki approval')} to act on` };
    const now = context.clock();
    const last = store.state.phases.distill?.at;
    if (last && calendarDay(new Date(last), registry.timezone) === calendarDay(now, registry.timezone)) {
      return { run: false, reason: `skip distill: already ran today at ${humanTime(new Date(last), now, registry.timezone)}` };
    }
    const groups = pendingCandidates(ws);
    const merged = groups.reduce((n, g) => n + g.merged.length, 0);
    const rejected = groups.reduce((n, g) => n + g.rejected.length, 0);
    const notes = groups.reduce((n, g) => n + g.notes.length, 0);
    if (merged + rejected + notes === 0) {
      return {
        run: false,
        reason: last
          ? `skip distill: nothing to distill (no ticket merged or rejected, no inbox note since ${humanTime(new Date(last), now, registry.timezone)})`
          : 'skip distill: nothing to distill yet (no ticket merged or rejected, no inbox note)',
      };
    }
    const parts = [merged && plural(merged, 'merged ticket'), rejected && plural(rejected, 'rejected ticket'), notes && plural(notes, 'inbox note')].filter(Boolean);
    return { run: true, reason: `distill: ${parts.join(', ')} since the last distillation` };
  },
  async run(context) {
    // Loaded here: the distillation brings the agent runtime and the model SDK.
    const { runDistillation } = await import('../../wiki/distill/run.js');
    const report = await runDistillation({ ws: context.ws, bus: context.bus, sessionId: context.sessionId, signal: context.signal, clock: context.clock });
    const parts = [
      `distilled ${plural(report.tickets.length, 'ticket')} and ${plural(report.notes.length, 'inbox note')}`,
      report.unclassified
        ? `no findings were classified (${report.unclassified})`
        : `${plural(report.classified, 'finding')}: ${report.written.length} written, ${report.pending.length} awaiting approval, ${report.ledgered.length} to the ledger`,
      ...(report.failed.length
        ? [`${report.failed.length} distiller${report.failed.length === 1 ? '' : 's'} failed (${report.failed.map((f) => `${f.group}: ${f.reason}`).join('; ')}); rerun with --force distill`]
        : []),
    ];
    return {
      ok: report.failed.length === 0,
      summary: `${parts.join('; ')}; ledger ${report.ledger}`,
      result: report,
    };
  },
};
