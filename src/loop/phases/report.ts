import { SANDBOX_OFF_NOTE, sandboxOff } from '../../sandbox/setting.js';
import type { TicketSummary } from '../../state/ticketTable.js';
import { addUsage, zeroUsage, type Usage } from '../../state/types.js';
import { calendarDay } from '../../calendar.js';
import type { Phase, PhaseContext } from '../phase.js';
import { whyWaiting } from '../../tickets/format.js';
import { waitingForOperator } from './interview.js';

export interface SessionReport {
  /** Tickets that reached each state during this session. */
  moved: Record<string, string[]>;
  /** Tickets by state now. */
  queue: Record<string, number>;
  waiting: { questions: number; approvals: number; tickets: number };
  /** Tickets that cannot move on without the operator (held, failed, rejected, blocked without a question), and why. */
  stuck: Array<{ id: string; state: string; why: string }>;
  costToday: Usage;
  /** Ticket ids that failed or were rejected in this session (what `--strict` looks at). */
  problems: string[];
  doctor?: { grade: string; passed: number; total: number; warnings?: string[] };
  /** Present while the operator has the OS sandbox off: every report says so. */
  sandbox?: string;
}

/** Extra lines a later part of the system adds to the report (the doctor's grade). */
export type ReportExtension = (context: PhaseContext, report: SessionReport) => Promise<void> | void;

export function buildReport(context: PhaseContext): SessionReport {
  const { store } = context.ws;
  const { state } = store;
  const moved: Record<string, string[]> = {};
  const queue: Record<string, number> = {};
  // Counted from the summaries: at 100,000 tickets, reading every ticket whole costs seconds and hundreds of MiB.
  for (const s of store.ticketSummaries()) queue[s.state] = (queue[s.state] ?? 0) + 1;
  // A ticket that moved this session changed this session (a move sets `updatedAt`): only those are read for it.
  for (const ticket of store.ticketsWhere((s) => s.updatedAt >= context.startedAt)) {
    const last = [...ticket.history].reverse().find((h) => h.at >= context.startedAt);
    if (last && last.to === ticket.state) (moved[ticket.state] ??= []).push(ticket.id);
  }
  // Usage is filed by the workspace's calendar day, so "today" is that day too.
  const day = calendarDay(context.clock(), context.ws.registry.timezone);
  let costToday = zeroUsage();
  for (const [key, usage] of Object.entries(state.usage.byBrandDay)) if (key.endsWith(`/${day}`)) costToday = addUsage(costToday, usage);
  const waiting = waitingForOperator(context);
  // Questions and approvals are counted above; every other ticket that cannot move on without the operator is here.
  const asking = new Set(waiting.questions.map((q) => q.ticket));
  // Failed, rejected and blocked tickets wait by their state; one ready or on its way to main waits only with a
  // hold, which its stored line then holds: the many ready tickets of an idle workspace are not read whole.
  const waitsByState = (s: TicketSummary) => s.state === 'blocked' || s.state === 'failed' || s.state === 'rejected';
  const mayHold = (s: TicketSummary) => s.state === 'ready' || s.state === 'review' || s.state === 'merging';
  const candidates = [...store.ticketsWhere((s) => waitsByState(s) && !(s.state === 'blocked' && asking.has(s.id))), ...store.ticketsWhere(mayHold, '"hold":{')];
  const stuck = candidates
    .flatMap((t) => {
      const why = whyWaiting(t, waiting.questions);
      return why ? [{ id: t.id, state: t.state, why }] : [];
    })
    .sort((a, b) => Number(a.id.slice(2)) - Number(b.id.slice(2)));
  return {
    moved,
    queue,
    waiting: { questions: waiting.questions.length, approvals: waiting.approvals.length, tickets: stuck.length },
    stuck,
    costToday,
    problems: [...(moved.failed ?? []), ...(moved.rejected ?? [])],
    ...(sandboxOff(context.ws.registry) ? { sandbox: SANDBOX_OFF_NOTE } : {}),
  };
}

function summarize(report: SessionReport): string {
  const moved = Object.entries(report.moved).map(([s, ids]) => `${ids.length} ${s}`);
  const { questions, approvals, tickets } = report.waiting;
  const waiting = questions + approvals + tickets;
  const parts = [
    questions ? `${questions} question${questions === 1 ? '' : 's'}` : '',
    approvals ? `${approvals} to approve` : '',
    tickets ? `${tickets} stuck: ${report.stuck.map((s) => s.id).join(', ')}` : '',
  ].filter(Boolean);
  return [
    ...(report.sandbox ? [`WARNING: ${report.sandbox}`] : []),
    moved.length ? `this session: ${moved.join(', ')}` : 'no ticket moved this session',
    `waiting for you: ${waiting}${parts.length ? ` (${parts.join(', ')})` : ''}`,
    `cost today: $${report.costToday.costUsd.toFixed(2)}`,
    ...(report.doctor
      ? [`doctor ${report.doctor.grade} ${report.doctor.passed}/${report.doctor.total}` + (report.doctor.warnings?.length ? ` (warning: ${report.doctor.warnings.join('; ')})` : '')]
      : []),
  ].join('; ');
}

/** One whole line per stuck ticket, for the headless output (the summary line only names them). */
export function stuckLines(report: SessionReport): string[] {
  return report.stuck.map((s) => `${s.id} (${s.state}) ${s.why}`);
}

/** What happened, what is waiting, what it cost; always runs. */
export function reportPhase(extensions: ReportExtension[] = []): Phase {
  return {
    name: 'report',
    shouldRun: () => ({ run: true, reason: 'report: always runs' }),
    async run(context) {
      const report = buildReport(context);
      for (const extend of extensions) await extend(context, report);
      // Each stuck ticket on a line of its own, whole, so the headless output says why without a transcript.
      for (const line of stuckLines(report)) context.bus.publish({ type: 'note', message: `waiting for you: ${line}` });
      return { ok: true, summary: summarize(report), result: report };
    },
  };
}
