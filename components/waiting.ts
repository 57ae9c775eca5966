import type { CockpitSnapshot } from '../src/cockpit/model.js';
import type { Question, Ticket } from '../src/state/types.js';

/** One thing that waits for the operator: a question (maybe about a ticket) or a ticket to approve. */
export type WaitingItem = { kind: 'question'; key: string; question: Question; ticket?: Ticket } | { kind: 'approval'; key: string; ticket: Ticket };

/** What waits, questions first (they hold a ticket up), minus what the operator skipped for now. */
export function waitingItems(snapshot: Pick<CockpitSnapshot, 'questions' | 'tickets'>, skipped: ReadonlySet<string>): WaitingItem[] {
  const byId = new Map(snapshot.tickets.map((t) => [t.id, t]));
  const items: WaitingItem[] = [];
  for (const question of snapshot.questions) {
    const ticket = question.ticket ? byId.get(question.ticket) : undefined;
    items.push({ kind: 'question', key: question.id, question, ...(ticket ? { ticket } : {}) });
  }
  for (const ticket of snapshot.tickets) if (ticket.state === 'triage') items.push({ kind: 'approval', key: ticket.id, ticket });
  return items.filter((item) => !skipped.has(item.key));
}
