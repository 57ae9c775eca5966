import { ticketMachine } from '../../machines/ticket.js';
import { UserError } from '../errors.js';
import { PRIORITIES, type Priority, type Ticket, type TicketEventName, type TicketPatch, type TicketState } from '../state/types.js';
import { normalizeId, OPERATOR_EVENTS, type Tickets } from './index.js';
import { mintTicketEvent } from './mint.js';

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

/** What `master ticket edit` may change: the ticket's text and priority, never its state, runs or gate evidence. */
export interface TicketEdit {
  title?: string;
  body?: string;
  acceptance?: string[];
  priority?: Priority;
}

/** States whose ticket text an operator may rewrite: nothing works from it at the moment. */
const TEXT_EDITABLE: readonly TicketState[] = ['triage', 'ready', 'blocked', 'failed', 'rejected'];

/** Why this edit cannot be made to a ticket in its state, or null when it can. */
export function editRefusal(ticket: Pick<Ticket, 'id' | 'state'>, edit: TicketEdit): string | null {
  if (ticket.state === 'merged') return `${ticket.id} is merged: a merged ticket is final; file a new ticket for more work`;
  if (ticket.state === 'cancelled') return `${ticket.id} is cancelled; reopen it first (\`master ticket move ${ticket.id} reopen\`)`;
  const textFields = (['title', 'body', 'acceptance'] as const).filter((f) => edit[f] !== undefined);
  if (textFields.length > 0 && !TEXT_EDITABLE.includes(ticket.state)) {
    const who = ticket.state === 'running' ? 'an agent is working from its current text' : 'the merge gate is judging it against its current text';
    return `${ticket.id} is ${ticket.state}: ${who}, so its ${textFields.join(', ')} cannot change now; block it first (\`master ticket move ${ticket.id} block\`), or wait until it is failed or rejected (only --priority may change meanwhile)`;
  }
  return null;
}

/**
 * Rewrites a ticket's title, body, acceptance criteria or priority: one
 * `ticket.updated` event naming who edited, with only the fields that
 * change. Decided under the write lock, so an edit never lands on a ticket
 * that moved on in between. Returns the fields that changed (none: no event).
 */
export function editTicket(tickets: Tickets, rawId: string, edit: TicketEdit, by = 'operator'): { ticket: Ticket; changed: string[] } {
  const id = normalizeId(rawId);
  const clean = validateEdit(edit);
  return tickets.store.commit((state) => {
    const ticket = state.tickets[id];
    if (!ticket) {
      // Not hot: unknown (get says so) or archived, which is closed and never changes.
      tickets.get(id);
      throw new UserError(`${id} is archived (closed long ago) and cannot change; \`master ticket show ${id}\` shows it`);
    }
    const refusal = editRefusal(ticket, clean);
    if (refusal) throw new UserError(refusal);
    const patch: TicketPatch = {};
    if (clean.title !== undefined && clean.title !== ticket.title) patch.title = clean.title;
    if (clean.body !== undefined && clean.body !== ticket.body) patch.body = clean.body;
    if (clean.acceptance !== undefined && JSON.stringify(clean.acceptance) !== JSON.stringify(ticket.acceptance)) patch.acceptance = clean.acceptance;
    if (clean.priority !== undefined && clean.priority !== ticket.priority) patch.priority = clean.priority;
    const changed = Object.keys(patch);
    if (changed.length === 0) return { events: [], result: { ticket, changed } };
    // The reducer changes this same object in place, so `ticket` is the edited one once the event is applied.
    return { events: [mintTicketEvent({ type: 'ticket.updated', id, patch, by })], result: { ticket, changed } };
  });
}

function validateEdit(edit: TicketEdit): TicketEdit {
  const out: TicketEdit = {};
  if (edit.title !== undefined) {
    const title = edit.title.trim();
    if (!title) throw new UserError('--title: a ticket needs a non-empty title');
    out.title = title;
  }
  if (edit.body !== undefined) out.body = edit.body;
  if (edit.acceptance !== undefined) {
    const acceptance = edit.acceptance.map((a) => a.trim());
    if (acceptance.some((a) => !a)) throw new UserError('--accept: an acceptance criterion cannot be empty');
    out.acceptance = acceptance;
  }
  if (edit.priority !== undefined) {
    if (!(PRIORITIES as readonly string[]).includes(edit.priority)) throw new UserError(`--priority ${edit.priority}: priorities are ${PRIORITIES.join(', ')}`);
    out.priority = edit.priority;
  }
  if (Object.keys(out).length === 0) throw new UserError('nothing to edit: give --title, --body (or --body-file), --accept or --priority');
  return out;
}

/**
 * Refuses an operator event the ticket's state does not allow, naming only
 * what an operator may send from there (never the dispatcher's or gate's own
 * events), or null when the machine accepts it.
 */
export function operatorRefusal(ticket: Pick<Ticket, 'id' | 'state' | 'gate'>, event: TicketEventName): string | null {
  const actions = operatorActions(ticket);
  if (actions.find((a) => a.event === event)?.allowed) return null;
  const allowed = actions.filter((a) => a.allowed).map((a) => a.event);
  const now =
    allowed.length > 0
      ? allowed.join(', ')
      : ticket.state === 'merged'
        ? 'none (the ticket is final)'
        : `none an operator sends (the dispatcher or the merge gate moves a ${ticket.state} ticket next)`;
  return `${ticket.id} is ${ticket.state}: "${event}" is not allowed from ${ticket.state}; allowed from ${ticket.state}: ${now}`;
}
