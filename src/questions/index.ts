import { UserError } from '../errors.js';
import type { Question } from '../state/types.js';
import type { Tickets } from '../tickets/index.js';

/** Stores a question for the operator; the next interactive session asks it. */
export function askOperator(tickets: Tickets, question: Omit<Question, 'id' | 'askedAt'>): Question {
  return tickets.store.commit((state) => {
    const stored: Question = { ...question, id: `Q-${state.counters.question + 1}`, askedAt: tickets.store.now() };
    return { events: [{ type: 'question.asked', question: stored }], result: stored };
  });
}

/**
 * Records the operator's answer; a ticket that was blocked on the question
 * goes back to `ready`, and its next run continues with the answer.
 */
export function answerQuestion(tickets: Tickets, id: string, answer: string, by = 'operator'): Question {
  const text = answer.trim();
  if (!text) throw new UserError('an answer cannot be empty');
  const question = tickets.store.commit((state) => {
    const found = state.questions[id.toUpperCase()];
    if (!found) throw new UserError(`no question ${id}; open questions: ${openQuestions(state.questions).map((q) => q.id).join(', ') || 'none'}`);
    if (found.answer !== undefined) throw new UserError(`${found.id} was already answered (${found.answeredAt})`);
    return { events: [{ type: 'question.answered', id: found.id, answer: text, by }], result: found };
  });
  if (question.ticket) {
    const ticket = tickets.store.state.tickets[question.ticket];
    const stillOpen = openQuestions(tickets.store.state.questions).some((q) => q.ticket === question.ticket);
    if (ticket?.state === 'blocked' && !stillOpen) {
      tickets.transition(ticket.id, 'unblock', { by, note: `${question.id} answered` });
    }
  }
  return tickets.store.state.questions[question.id]!;
}

export function openQuestions(questions: Record<string, Question>): Question[] {
  return Object.values(questions).filter((q) => q.answer === undefined);
}
