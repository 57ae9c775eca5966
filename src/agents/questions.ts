import type { Question } from '../state/types.js';
import { TransitionError } from '../tickets/index.js';
import type { Workspace } from '../workspace/open.js';

/** Stores an agent's question for the operator (the ticket is blocked by the caller). */
export function askQuestion(ws: Workspace, entry: { ticket: string; brand: string; text: string; by: string }): Question {
  return ws.store.commit((state) => {
    const question: Question = {
      id: `Q-${state.counters.question + 1}`,
      kind: 'agent',
      ticket: entry.ticket,
      brand: entry.brand,
      text: entry.text,
      askedAt: ws.store.now(),
      askedBy: entry.by,
    };
    return { events: [{ type: 'question.asked', question }], result: question };
  });
}

/**
 * Answers a question; an agent's ticket that waits on it goes back to
 * `ready`, and its next run continues the conversation with the answer.
 */
export function answerQuestion(ws: Workspace, id: string, answer: string, by = 'operator'): Question {
  const question = ws.store.commit((state) => {
    const found = state.questions[id];
    if (!found) return { events: [], result: null };
    return { events: [{ type: 'question.answered', id, answer, by }], result: state.questions[id]! };
  });
  if (!question) throw new TransitionError(id, 'blocked', 'answer', [], `no question ${id}`);
  if (question.ticket) unblockIfAnswered(ws, question.ticket);
  return question;
}

/** Unblocks a blocked ticket whose agent questions are all answered; true when it moved. */
export function unblockIfAnswered(ws: Workspace, ticketId: string): boolean {
  const ticket = ws.store.state.tickets[ticketId];
  if (!ticket || ticket.state !== 'blocked' || ticket.runs.at(-1)?.outcome !== 'blocked') return false;
  const open = Object.values(ws.store.state.questions).filter((q) => q.ticket === ticketId && q.kind === 'agent' && q.answer === undefined);
  if (open.length > 0) return false;
  try {
    ws.tickets.transition(ticketId, 'unblock', { by: 'dispatcher', note: 'the operator answered its question' });
    return true;
  } catch (error) {
    if (error instanceof TransitionError) return false;
    throw error;
  }
}

/** Unblocks every ticket whose questions were answered since (e.g. by another process); returns their ids. */
export function unblockAnswered(ws: Workspace): string[] {
  return Object.values(ws.store.state.tickets)
    .filter((t) => t.state === 'blocked')
    .filter((t) => unblockIfAnswered(ws, t.id))
    .map((t) => t.id);
}
