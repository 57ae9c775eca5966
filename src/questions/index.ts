import { UserError } from '../errors.js';
import type { Question, Ticket } from '../state/types.js';
import { TransitionError } from '../tickets/index.js';
import type { Workspace } from '../workspace/open.js';

type QuestionsWorkspace = Pick<Workspace, 'store' | 'tickets'>;

/** Stores a question for the operator; the next interactive session asks it (the caller blocks the ticket). */
export function askOperator(ws: QuestionsWorkspace, question: Omit<Question, 'id' | 'askedAt'>): Question {
  return ws.store.commit((state) => {
    const stored: Question = { ...question, id: `Q-${state.counters.question + 1}`, askedAt: ws.store.now() };
    return { events: [{ type: 'question.asked', question: stored }], result: stored };
  });
}

/** Whether an answer grants what was asked ("yes", "y", "allow", "ok", "approve"). */
export function isAffirmative(answer: string | undefined): boolean {
  return answer !== undefined && /^\s*(y|yes|allow|allowed|ok|okay|approve|approved)\b/i.test(answer);
}

/** Whether the operator already approved this exact call (`tool:inputDigest`) for the ticket. */
export function callApproved(questions: Record<string, Question>, ticket: string, key: string): boolean {
  return Object.values(questions).some((q) => q.kind === 'guard' && q.ticket === ticket && q.approves === key && isAffirmative(q.answer));
}

/**
 * The operator's refusal of this exact call for the ticket, if they refused
 * it since the ticket was last retried (a retry is the operator's way to let
 * it be asked again).
 */
export function callRefused(questions: Record<string, Question>, ticket: Ticket, key: string): Question | undefined {
  const since = ticket.history.filter((h) => h.event === 'retry').at(-1)?.at ?? '';
  return Object.values(questions).find((q) => q.kind === 'guard' && q.ticket === ticket.id && q.approves === key && q.answer !== undefined && !isAffirmative(q.answer) && (q.answeredAt ?? '') > since);
}

/**
 * Whether an answer gives something up for good (cancels, deletes, drops,
 * discards, abandons, removes, rejects): the cockpit asks the operator to
 * confirm such an answer before it is sent.
 */
export function isDestructive(answer: string): boolean {
  return /^\s*(cancel|delete|drop|discard|abandon|remove|reject|destroy|wipe)\b/i.test(answer);
}

export function openQuestions(questions: Record<string, Question>): Question[] {
  return Object.values(questions).filter((q) => q.answer === undefined);
}

/**
 * Records the operator's answer; a ticket that an agent's question blocked
 * goes back to `ready`, and its next run continues with the answer.
 */
export function answerQuestion(ws: QuestionsWorkspace, id: string, answer: string, by = 'operator'): Question {
  const text = answer.trim();
  if (!text) throw new UserError('an answer cannot be empty');
  const question = ws.store.commit((state) => {
    const found = state.questions[id.trim().toUpperCase()];
    if (!found) {
      const open =
        openQuestions(state.questions)
          .map((q) => q.id)
          .join(', ') || 'none';
      throw new UserError(`no question ${id}; open questions: ${open}`);
    }
    if (found.answer !== undefined) throw new UserError(`${found.id} was already answered (${found.answeredAt})`);
    return { events: [{ type: 'question.answered', id: found.id, answer: text, by }], result: found };
  });
  if (question.ticket) unblockIfAnswered(ws, question.ticket);
  return ws.store.state.questions[question.id]!;
}

/** Unblocks a ticket its agent's questions blocked once they are all answered; true when it moved. */
export function unblockIfAnswered(ws: QuestionsWorkspace, ticketId: string): boolean {
  const ticket = ws.store.state.tickets[ticketId];
  // An operator's block stays until the operator unblocks; only an agent's question is lifted here.
  if (ticket?.state !== 'blocked' || ticket.runs.at(-1)?.outcome !== 'blocked') return false;
  const open = Object.values(ws.store.state.questions).filter((q) => q.ticket === ticketId && q.kind !== 'approval' && q.answer === undefined);
  if (open.length > 0) return false;
  try {
    ws.tickets.transition(ticketId, 'unblock', { by: 'operator', note: 'the operator answered its question' });
    return true;
  } catch (error) {
    if (error instanceof TransitionError) return false;
    throw error;
  }
}

/** Unblocks every ticket whose questions were answered meanwhile (e.g. from another terminal). */
export function unblockAnswered(ws: QuestionsWorkspace): string[] {
  return ws.store
    .ticketSummaries()
    .filter((t) => t.state === 'blocked')
    .filter((t) => unblockIfAnswered(ws, t.id))
    .map((t) => t.id);
}
