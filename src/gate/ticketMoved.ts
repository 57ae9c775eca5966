import { existsSync } from 'node:fs';
import type { TicketMachineEvent } from '../../machines/ticket.js';
import { branchSha, prepareGateWorktree } from '../git/gate.js';
import type { Ticket, TicketEventName, TicketState } from '../state/types.js';
import { TransitionError, type TransitionOptions } from '../tickets/index.js';
import type { Done, RepoQueueContext, Step } from './ticketGate.js';
import type { GateOutcome } from './types.js';

/*
 * A ticket the gate holds can be moved by another process at any moment (an
 * operator's cancel from another terminal): the gate looks before each step,
 * and a transition the machine refuses because of that drops the candidate
 * instead of failing the queue.
 */

/** The ticket's state as the log has it now (another process may have cancelled it meanwhile). */
export function stateNow(ctx: RepoQueueContext, ticketId: string): TicketState | null {
  ctx.ws.store.refresh();
  return ctx.ws.store.state.tickets[ticketId]?.state ?? null;
}

/**
 * A transition of the gate, or null when another process moved the ticket
 * first (a cancel from another terminal): the machine refused it because the
 * ticket is no longer where the gate left it, which is not the gate's failure.
 */
export function gateTransition(ctx: RepoQueueContext, ticketId: string, from: TicketState, event: TicketMachineEvent | TicketEventName, options: TransitionOptions): Ticket | null {
  try {
    return ctx.ws.tickets.transition(ticketId, event, options);
  } catch (error) {
    if (error instanceof TransitionError && error.state !== from) return null;
    throw error;
  }
}

/**
 * Drops the candidate of a ticket another process moved (cancelled, blocked,
 * requeued): main is not moved, the gate worktree goes back to main with
 * nothing of the candidate left, and the queue goes on.
 */
export async function dropped(ctx: RepoQueueContext, ticketId: string, state: TicketState | null, worktree: string, step: Step): Promise<Done> {
  const reason = `${ticketId} is ${state ?? 'gone'} now; the gate dropped its candidate and main was not moved`;
  if (existsSync(worktree)) {
    const main = await branchSha(ctx.git, ctx.repo.mainBranch);
    if (main) await prepareGateWorktree(ctx.git, worktree, main);
  }
  step('queue', 'drop', { reason });
  return { result: 'dropped', reason };
}

export async function dropCandidate(ctx: RepoQueueContext, ticketId: string, state: TicketState | null, worktree: string, step: Step, attempts: number): Promise<GateOutcome> {
  const done = await dropped(ctx, ticketId, state, worktree, step);
  return { ticket: ticketId, repo: ctx.repo.id, result: done.result, reason: done.reason, attempts };
}
