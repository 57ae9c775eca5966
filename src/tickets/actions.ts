import { ticketMachine } from '../../machines/ticket.js';
import type { Ticket, TicketEventName } from '../state/types.js';
import { OPERATOR_EVENTS } from './index.js';

/** An operator action on a ticket: offered when the ticket machine allows it, else with the reason it does not. */
export interface TicketAction {
  event: TicketEventName;
  allowed: boolean;
  /** Why it cannot be done now (only when not allowed). */
  reason?: string;
}

/** The states from which the machine accepts `event` (read from the machine, never written twice). */
function statesAccepting(event: TicketEventName): string[] {
  return Object.entries(ticketMachine.states)
    .filter(([, node]) => Object.keys(node.on).includes(event))
    .map(([name]) => name);
}

/**
 * What the operator may do with a ticket now, asked of the ticket machine
 * (`snapshot.can`). System events (dispatch, submit, pass, merge, ...) are
 * never listed: they belong to the dispatcher and the gate.
 */
export function operatorActions(ticket: Pick<Ticket, 'state' | 'gate'>): TicketAction[] {
  const snapshot = ticketMachine.resolveState({ value: ticket.state, context: { gate: ticket.gate } });
  return OPERATOR_EVENTS.map((event) => {
    if (snapshot.can({ type: event } as never)) return { event, allowed: true };
    const from = statesAccepting(event);
    const reason =
      from.length === 0 ? `"${event}" is never allowed` : `${ticket.state === 'merged' ? 'a merged ticket is final' : `the ticket is ${ticket.state}`}; ${event} needs ${from.join(' or ')}`;
    return { event, allowed: false, reason };
  });
}

/** The one action of the ticket's state an operator most likely wants (the cockpit's `space`). */
export function mainAction(ticket: Pick<Ticket, 'state'>): TicketEventName | null {
  switch (ticket.state) {
    case 'triage':
      return 'approve';
    case 'blocked':
      return 'unblock';
    case 'failed':
    case 'rejected':
      return 'retry';
    case 'cancelled':
      return 'reopen';
    default:
      return null;
  }
}
