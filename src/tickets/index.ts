import * as z from 'zod/mini';
import { ExitCode, UserError } from '../errors.js';
import { findBrand, findRepo } from '../registry/load.js';
import type { Registry } from '../registry/schema.js';
import { readAllArchived, readArchiveMonth, writeToArchive } from '../state/archive.js';
import type { Store } from '../state/store.js';
import type { TicketSummary } from '../state/ticketTable.js';
import { PRIORITIES, TICKET_KINDS, TICKET_STATES, type State, type Ticket, type TicketEventName, type TicketPatch, type TicketState } from '../state/types.js';
import { checkTransition, type TicketMachineEvent } from '../../machines/ticket.js';
import { mintTicketEvent } from './mint.js';

/** Events an operator may send; the others belong to the dispatcher and the gate. */
export const OPERATOR_EVENTS: readonly TicketEventName[] = ['approve', 'block', 'unblock', 'cancel', 'retry', 'reopen'];

export class TicketNotFoundError extends UserError {
  constructor(id: string) {
    super(`no ticket ${id}; \`master ticket list --all\` shows every ticket`);
    this.name = 'TicketNotFoundError';
  }
}

/** A transition the machine refuses; the message lists the events allowed from the current state. */
export class TransitionError extends UserError {
  constructor(
    readonly ticket: string,
    readonly state: TicketState,
    readonly event: string,
    readonly allowed: readonly string[],
    why?: string,
  ) {
    const allowedText = allowed.length ? allowed.join(', ') : 'none (the ticket is final)';
    super(`${ticket} is ${state}: ${why ?? `"${event}" is not allowed from ${state}`}; allowed from ${state}: ${allowedText}`);
    this.name = 'TransitionError';
  }
}

const Text = z.string().check(z.trim(), z.minLength(1));
export const NewTicketSchema = z
  .strictObject({
    brand: z.string().check(z.minLength(1)),
    repo: z.string().check(z.minLength(1)),
    title: z.string().check(z.trim(), z.minLength(1, 'a title')),
    body: z._default(z.string(), ''),
    acceptance: z._default(z.array(Text), []),
    kind: z._default(z.enum(TICKET_KINDS), 'agent'),
    run: z._default(z.array(Text), []),
    priority: z._default(z.enum(PRIORITIES), 'p2'),
    state: z._default(z.enum(['triage', 'ready']), 'triage'),
    problem: z.optional(z.string()),
  })
  .check(
    z.superRefine((t, ctx) => {
      if (t.kind === 'script' && t.run.length === 0) ctx.addIssue({ code: 'custom', path: ['run'], message: 'a script ticket needs at least one command (--run CMD)' });
      if (t.kind !== 'script' && t.run.length > 0) ctx.addIssue({ code: 'custom', path: ['run'], message: 'only script tickets have commands; add --kind script' });
    }),
  );
export type NewTicket = z.input<typeof NewTicketSchema>;

export interface TransitionOptions {
  by?: string;
  note?: string;
  patch?: TicketPatch;
}

const PRIORITY_RANK: Record<string, number> = { p0: 0, p1: 1, p2: 2, p3: 3 };

/** Orders tickets by priority, then age. */
export function byPriority(a: Pick<Ticket, 'priority' | 'id'>, b: Pick<Ticket, 'priority' | 'id'>): number {
  return PRIORITY_RANK[a.priority]! - PRIORITY_RANK[b.priority]! || idNumber(a.id) - idNumber(b.id);
}

export function idNumber(id: string): number {
  return Number(id.slice(2));
}

/** The only code that changes a ticket: every change is validated by the ticket machine and logged. */
export class Tickets {
  constructor(
    readonly store: Store,
    readonly registry: Registry,
  ) {}

  /** Creates a ticket in `triage` (or `ready` for tickets the system files itself). */
  create(input: NewTicket, by = 'operator'): Ticket {
    const parsed = NewTicketSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UserError(`invalid ticket: ${issue.path.join('.') || 'input'}: ${issue.message}`);
    }
    const data = parsed.data;
    const brand = findBrand(this.registry, data.brand);
    findRepo(brand, data.repo);
    return this.store.commit((state) => {
      const at = this.store.now();
      const id = `T-${state.counters.ticket + 1}`;
      const ticket: Ticket = {
        id,
        brand: data.brand,
        repo: data.repo,
        title: data.title,
        body: data.body,
        acceptance: data.acceptance,
        kind: data.kind,
        run: data.run,
        priority: data.priority,
        state: data.state,
        history: [],
        runs: [],
        gate: null,
        feedback: [],
        ...(data.problem ? { problem: data.problem } : {}),
        createdAt: at,
        updatedAt: at,
      };
      if (data.state === 'ready') {
        ticket.history.push({ at, from: 'triage', to: 'ready', event: 'approve', by, note: 'filed ready' });
      }
      return { events: [mintTicketEvent({ type: 'ticket.created', ticket })], result: ticket };
    });
  }

  /** Moves a ticket by an event of the machine; refuses what the machine refuses. */
  transition(rawId: string, event: TicketMachineEvent | TicketEventName, options: TransitionOptions = {}): Ticket {
    const id = normalizeId(rawId);
    const machineEvent = (typeof event === 'string' ? { type: event } : event) as TicketMachineEvent;
    return this.store.commit((state) => {
      const ticket = this.hot(state, id);
      const check = checkTransition(ticket.state, { gate: ticket.gate }, machineEvent);
      if (!check.ok) {
        const why =
          check.reason === 'guard'
            ? machineEvent.type === 'pass'
              ? '"pass" needs gate evidence that every check, the verifier and the doctor passed'
              : '"merge" needs gate evidence for exactly the commit main now points at'
            : undefined;
        throw new TransitionError(id, ticket.state, machineEvent.type, check.allowed, why);
      }
      const patch: TicketPatch = withoutGate(options.patch);
      if (machineEvent.type === 'retry' && options.note) patch.feedback = [...ticket.feedback, options.note];
      // The evidence the ticket keeps is the machine's context after the transition (its recordEvidence), not a copy made here.
      const gate = check.context.gate;
      return {
        events: [
          mintTicketEvent({
            type: 'ticket.transition',
            id,
            from: ticket.state,
            to: check.to,
            event: machineEvent.type,
            by: options.by ?? 'operator',
            ...(options.note ? { note: options.note } : {}),
            ...(Object.keys(patch).length ? { patch } : {}),
            ...(gate !== ticket.gate ? { gate } : {}),
          }),
        ],
        result: state.tickets[id]!,
      };
    });
  }

  /** Changes fields other than the state and the gate evidence (runs, feedback, hold, the operator's text). */
  update(rawId: string, patch: (ticket: Ticket) => TicketPatch): Ticket {
    const id = normalizeId(rawId);
    return this.store.commit((state) => {
      const ticket = this.hot(state, id);
      return { events: [mintTicketEvent({ type: 'ticket.updated', id, patch: withoutGate(patch(ticket)) })], result: state.tickets[id]! };
    });
  }

  /** A ticket from the hot state or the archive. */
  get(id: string): Ticket {
    const normalized = normalizeId(id);
    const hot = this.store.state.tickets[normalized];
    if (hot) return hot;
    const month = this.store.state.archived[normalized];
    if (month) {
      let archived: Ticket | undefined;
      try {
        archived = readArchiveMonth(this.store.paths.archive, month).tickets?.[normalized];
      } catch {
        // unreadable: said below
      }
      if (archived) return archived;
      throw new UserError(`${normalized} was archived in archive/${month}.json, which is missing, damaged or lacks it; \`master repair\` rebuilds the archive from the event log`, ExitCode.failed);
    }
    throw new TicketNotFoundError(normalized);
  }

  /** Tickets of the hot state (and with `all`, the archive), filtered, in id order. */
  list(filter: { brand?: string; state?: string; all?: boolean } = {}): Ticket[] {
    this.checkListFilter(filter);
    let tickets: Ticket[] = this.store.ticketsWhere((t) => (!filter.brand || t.brand === filter.brand) && (!filter.state || t.state === filter.state));
    if (filter.all) {
      const hot = new Set(tickets.map((t) => t.id));
      tickets = tickets.concat(readAllArchived(this.store.paths.archive).filter((t) => !hot.has(t.id)));
    }
    return tickets.filter((t) => (!filter.brand || t.brand === filter.brand) && (!filter.state || t.state === filter.state)).sort((a, b) => idNumber(a.id) - idNumber(b.id));
  }

  /** Refuses a filter naming a brand the registry does not have or a state that does not exist. */
  checkListFilter(filter: { brand?: string; state?: string }): void {
    if (filter.brand) findBrand(this.registry, filter.brand);
    if (filter.state && !(TICKET_STATES as readonly string[]).includes(filter.state)) {
      throw new UserError(`unknown state "${filter.state}"; states: ${TICKET_STATES.join(', ')}`);
    }
  }

  /** The hot tickets' summaries, filtered, in id order: what `ticket list` prints, without reading whole tickets. */
  listSummaries(filter: { brand?: string; state?: string } = {}): TicketSummary[] {
    this.checkListFilter(filter);
    return this.store
      .ticketSummaries()
      .filter((t) => (!filter.brand || t.brand === filter.brand) && (!filter.state || t.state === filter.state))
      .sort((a, b) => idNumber(a.id) - idNumber(b.id));
  }

  /** Archived tickets (by the log) that a list of tickets lacks: their month file is missing or damaged. */
  unreadableArchived(listed: Ticket[]): string[] {
    const seen = new Set(listed.map((t) => t.id));
    return Object.keys(this.store.state.archived).filter((id) => !seen.has(id));
  }

  /** Moves merged and cancelled tickets untouched for `afterDays` days to the archive. */
  archiveOld(afterDays = this.registry.archive.afterDays): string[] {
    const cutoff = this.store.clock().getTime() - afterDays * 86_400_000;
    this.store.refresh();
    const old = this.store.ticketsWhere((t) => (t.state === 'merged' || t.state === 'cancelled') && Date.parse(t.updatedAt) <= cutoff);
    if (old.length === 0) return [];
    const byMonth = new Map<string, Ticket[]>();
    for (const ticket of old) {
      const month = ticket.updatedAt.slice(0, 7);
      // Pushed, not spread: a first start may archive tens of thousands.
      const tickets = byMonth.get(month);
      if (tickets) tickets.push(ticket);
      else byMonth.set(month, [ticket]);
    }
    const moved: string[] = [];
    for (const [month, tickets] of byMonth) {
      // The archive file first: a crash before the event leaves the ticket in both places, never in neither.
      writeToArchive(this.store.paths.archive, month, tickets);
      // Decided again under the lock: a ticket another process changed meanwhile stays hot
      // (its copy in the archive file is then stale, and the hot state wins on every read).
      const ids = this.store.commit((state) => {
        const still = tickets.filter((t) => state.tickets[t.id]?.updatedAt === t.updatedAt).map((t) => t.id);
        return { events: still.length ? [mintTicketEvent({ type: 'ticket.archived', ids: still, month })] : [], result: still };
      });
      moved.push(...ids);
    }
    return moved;
  }

  private hot(state: State, id: string): Ticket {
    const ticket = state.tickets[normalizeId(id)];
    if (!ticket) {
      if (state.archived[normalizeId(id)]) {
        throw new UserError(`${normalizeId(id)} is archived (closed long ago) and cannot change; \`master ticket show ${normalizeId(id)}\` shows it`);
      }
      throw new TicketNotFoundError(normalizeId(id));
    }
    return ticket;
  }
}

/** A patch without gate evidence, even one cast past its type: only the machine's `pass` and `reject` set it. */
function withoutGate(patch: TicketPatch | undefined): TicketPatch {
  const { gate: _ignored, ...rest } = { ...patch } as TicketPatch & { gate?: unknown };
  return rest;
}

/** Accepts `T-12`, `t-12` and `12`. */
export function normalizeId(id: string): string {
  const trimmed = id.trim();
  if (/^\d+$/.test(trimmed)) return `T-${trimmed}`;
  return trimmed.toUpperCase();
}
