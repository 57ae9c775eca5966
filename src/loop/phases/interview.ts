import type { TicketSummary } from '../../state/ticketTable.js';
import type { Question } from '../../state/types.js';
import type { Phase, PhaseContext } from '../phase.js';

/** What waits for the operator: open questions and tickets to approve. */
export interface Waiting {
  questions: Question[];
  /** Summaries: the interview shows id, brand and title, and an idle workspace may have 50,000 to approve. */
  approvals: TicketSummary[];
}

export function waitingForOperator(context: Pick<PhaseContext, 'ws'>): Waiting {
  const state = context.ws.store.state;
  return {
    questions: Object.values(state.questions).filter((q) => q.answer === undefined),
    approvals: context.ws.store.ticketSummaries().filter((t) => t.state === 'triage'),
  };
}

function describeWaiting(waiting: Waiting): string {
  const parts: string[] = [];
  if (waiting.questions.length) parts.push(`${waiting.questions.length} question${waiting.questions.length === 1 ? '' : 's'}`);
  if (waiting.approvals.length) parts.push(`${waiting.approvals.length} ticket${waiting.approvals.length === 1 ? '' : 's'} to approve`);
  return parts.join(' and ');
}

/** How many questions and approvals a headless interview's result lists by name (50,000 to approve made each idle session log 5 MB). */
const LISTED = 100;

/** An interviewer asks the operator one thing at a time; headless sessions have none. */
export interface Interviewer {
  interview(waiting: Waiting, context: PhaseContext): Promise<{ answered: number; approved: number; skipped: number }>;
}

/** Runs when something waits for the operator; headless, it lists what waits and never blocks. */
export function interviewPhase(interviewer?: Interviewer): Phase {
  return {
    name: 'interview',
    shouldRun(context) {
      const waiting = waitingForOperator(context);
      const what = describeWaiting(waiting);
      return what
        ? { run: true, reason: `interview: ${what} wait${what.includes(' and ') || !what.startsWith('1 ') ? '' : 's'} for the operator` }
        : { run: false, reason: 'skip interview: nothing waits for the operator' };
    },
    async run(context) {
      const waiting = waitingForOperator(context);
      // The result goes into the log and the snapshot: the first of a long list, and how many there are.
      const listed = {
        questions: waiting.questions.slice(0, LISTED).map((q) => ({ id: q.id, ticket: q.ticket, text: q.text })),
        approvals: waiting.approvals.slice(0, LISTED).map((t) => ({ id: t.id, brand: t.brand, title: t.title })),
        ...(waiting.questions.length > LISTED ? { questionCount: waiting.questions.length } : {}),
        ...(waiting.approvals.length > LISTED ? { approvalCount: waiting.approvals.length } : {}),
      };
      if (context.ci || !interviewer) {
        return {
          ok: true,
          summary: `${describeWaiting(waiting)} stored for the next interactive session (\`master ticket move ID approve\` approves from a shell)`,
          result: { mode: 'listed', ...listed },
        };
      }
      const outcome = await interviewer.interview(waiting, context);
      return {
        ok: true,
        summary: `interview: ${outcome.approved} approved, ${outcome.answered} answered, ${outcome.skipped} left for later`,
        result: { mode: 'asked', ...listed, ...outcome },
      };
    },
  };
}
