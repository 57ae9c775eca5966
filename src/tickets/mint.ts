import { claimTicketMint } from '../state/ticketMint.js';

/**
 * The right to make ticket events, claimed once as src/tickets loads. Only
 * modules of src/tickets import this (tests/architecture.test.ts checks it):
 * every other module changes a ticket through `Tickets`.
 */
export const mintTicketEvent = claimTicketMint();
