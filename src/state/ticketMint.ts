import type { MintedTicketEvent, TicketEvent } from './events.js';

/*
 * Only src/tickets makes ticket events: it validates every change with the
 * ticket machine first. The store sits below it and cannot import it, so the
 * right is a capability handed out once per process: src/tickets claims the
 * mint when it loads, and the store appends a ticket event only when this
 * mint made it (a type built elsewhere cannot even be written, see
 * MintedTicketEvent; a cast past the types is refused here at run time).
 */

const minted = new WeakSet<object>();
let claimed = false;

/** Marks a ticket event as made by src/tickets. */
export type TicketMint = <E extends TicketEvent>(event: E) => E & MintedTicketEvent;

/** Hands out the mint, once per process: src/tickets claims it as it loads; any later claim is refused. */
export function claimTicketMint(): TicketMint {
  if (claimed) throw new Error('the ticket mint is already claimed: only src/tickets makes ticket events (use Tickets)');
  claimed = true;
  return <E extends TicketEvent>(event: E) => {
    const copy = { ...event };
    minted.add(copy);
    return copy as E & MintedTicketEvent;
  };
}

/** Whether a payload is a ticket event (whatever made it). */
export function isTicketEvent(payload: { type: string }): payload is TicketEvent {
  return payload.type.startsWith('ticket.');
}

/** Whether the mint made this very object (a copy or a hand-made look-alike is not). */
export function isMinted(payload: object): boolean {
  return minted.has(payload);
}
