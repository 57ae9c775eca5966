import type { GateEvidence, Question, State, Ticket, TicketEventName, TicketPatch, TicketState, Usage } from './types.js';

/** Events that change state: the reducer knows each of them. */
export type StateEvent =
  | { type: 'ticket.created'; ticket: Ticket }
  | {
      type: 'ticket.transition';
      id: string;
      from: TicketState;
      to: TicketState;
      event: TicketEventName;
      by: string;
      note?: string;
      patch?: TicketPatch;
      /** The ticket machine's gate evidence after the transition, when the transition changed it. */
      gate?: GateEvidence | null;
    }
  /** `by`: who changed it, when a person did (`master ticket edit`); absent for the system's own updates. */
  | { type: 'ticket.updated'; id: string; patch: TicketPatch; by?: string }
  | { type: 'ticket.archived'; ids: string[]; month: string }
  | { type: 'run.started'; ticket: string; run: string }
  | { type: 'session.start'; session: string; pid: number }
  | { type: 'session.end'; session: string; outcome: string }
  | { type: 'phase.start'; session: string; phase: string; reason?: string }
  | { type: 'phase.skip'; session: string; phase: string; reason: string }
  | { type: 'phase.end'; session: string; phase: string; ok: boolean; result?: unknown; reason?: string }
  | { type: 'question.asked'; question: Question }
  | { type: 'question.answered'; id: string; answer: string; by: string }
  | { type: 'usage.recorded'; ticket: string; brand: string; run: string; day: string; usage: Usage; executor?: 'sdk' | 'claude-code'; estimate?: boolean }
  | {
      type: 'log.repaired';
      /** Damaged lines and gaps `master repair` found and accounted for: they no longer count as unexplained. */
      damaged: Array<{ file: string; offset: number; line: number; reason: string }>;
      gaps: Array<{ after: number; next: number; lost: boolean }>;
      /** Id counters the log alone would not give (a snapshot or the archive knew higher ids): never reused. */
      counters?: Partial<State['counters']>;
    };

/** Events kept in the log for the audit trail that change no state. */
export interface AuditEvent {
  type: 'guard.decision' | 'gate.step' | 'doctor.report' | 'merge.done' | 'note' | 'wiki.finding' | 'wiki.write';
  [key: string]: unknown;
}

export type LogPayload = StateEvent | AuditEvent;

/** Events that change a ticket: only src/tickets makes them (see ticketMint.ts). */
export type TicketEvent = Extract<StateEvent, { type: `ticket.${string}` }>;

/**
 * The brand of a ticket event made by src/tickets. The key is declared here and
 * exported nowhere, so no other module can write an object literal that has it:
 * a ticket event built elsewhere does not type-check as a commit payload.
 */
declare const mintedByTickets: unique symbol;
export type MintedTicketEvent = TicketEvent & { readonly [mintedByTickets]: true };

/** What any module may append: every payload but a ticket event. */
export type PlainPayload = Exclude<LogPayload, TicketEvent>;

/** What a commit appends: plain payloads, and ticket events only as src/tickets minted them. */
export type CommitPayload = PlainPayload | MintedTicketEvent;

/** One line of the event log: the payload plus its sequence number and time. */
export type LoggedEvent = LogPayload & { seq: number; at: string };
