import type { LogPayload, LoggedEvent } from './events.js';
import { addUsage, zeroUsage, type State } from './types.js';

const MAX_SESSIONS = 100;

function numberOf(id: string): number {
  const n = Number(id.slice(id.indexOf('-') + 1));
  return Number.isFinite(n) ? n : 0;
}

/**
 * Why a ticket event cannot apply to this state, or null when it can: a
 * transition must start where the ticket is (a line saying otherwise was not
 * made by the ticket machine on this state: a hand edit, a bug, a merge of
 * two logs).
 */
export function ticketEventRefusal(state: State, event: LogPayload): string | null {
  if (event.type !== 'ticket.transition') return null;
  const ticket = state.tickets[event.id];
  if (!ticket || ticket.state === event.from) return null;
  return `${event.id} is ${ticket.state}, but this "${event.event}" transition says it moves from ${event.from} to ${event.to}`;
}

/**
 * Applies one logged event to the state, in place: replaying the log from an
 * empty state gives the same state as the live process had. Events it does not
 * know only advance `seq` (audit events, or events of a newer version). Returns
 * why the event was refused (it then only advances `seq` too; the caller
 * reports it), or null.
 */
export function applyEvent(state: State, event: LoggedEvent): string | null {
  if (event.seq <= state.seq) return null;
  state.seq = event.seq;
  const refusal = ticketEventRefusal(state, event);
  if (refusal !== null) return refusal;
  switch (event.type) {
    case 'ticket.created': {
      const ticket = structuredClone(event.ticket);
      state.tickets[ticket.id] = ticket;
      state.counters.ticket = Math.max(state.counters.ticket, numberOf(ticket.id));
      break;
    }
    case 'ticket.transition': {
      const ticket = state.tickets[event.id];
      if (!ticket) break;
      if (event.patch) Object.assign(ticket, withoutGate(event.patch, event.event));
      if (event.gate !== undefined) ticket.gate = structuredClone(event.gate);
      ticket.state = event.to;
      const entry = { at: event.at, from: event.from, to: event.to, event: event.event, by: event.by } as const;
      ticket.history.push(event.note ? { ...entry, note: event.note } : entry);
      ticket.updatedAt = event.at;
      break;
    }
    case 'ticket.updated': {
      const ticket = state.tickets[event.id];
      if (!ticket) break;
      Object.assign(ticket, withoutGate(event.patch, null));
      ticket.updatedAt = event.at;
      break;
    }
    case 'ticket.archived': {
      for (const id of event.ids) {
        if (!state.tickets[id]) continue;
        delete state.tickets[id];
        state.archived[id] = event.month;
      }
      break;
    }
    case 'run.started':
      state.counters.run = Math.max(state.counters.run, numberOf(event.run));
      break;
    case 'session.start': {
      state.counters.session = Math.max(state.counters.session, numberOf(event.session));
      state.sessions.push({ id: event.session, pid: event.pid, startedAt: event.at, phases: [] });
      if (state.sessions.length > MAX_SESSIONS) state.sessions.splice(0, state.sessions.length - MAX_SESSIONS);
      break;
    }
    case 'session.end': {
      const session = state.sessions.find((s) => s.id === event.session);
      if (session) {
        session.endedAt = event.at;
        session.outcome = event.outcome;
      }
      break;
    }
    case 'phase.start':
      break;
    case 'phase.skip': {
      const session = state.sessions.find((s) => s.id === event.session);
      session?.phases.push({ phase: event.phase, status: 'skipped', reason: event.reason, at: event.at });
      break;
    }
    case 'phase.end': {
      const session = state.sessions.find((s) => s.id === event.session);
      session?.phases.push({
        phase: event.phase,
        status: event.ok ? 'ran' : 'failed',
        ...(event.reason ? { reason: event.reason } : {}),
        at: event.at,
      });
      if (event.ok) state.phases[event.phase] = { phase: event.phase, at: event.at, ok: true, result: event.result };
      break;
    }
    case 'question.asked': {
      state.questions[event.question.id] = structuredClone(event.question);
      state.counters.question = Math.max(state.counters.question, numberOf(event.question.id));
      break;
    }
    case 'question.answered': {
      const question = state.questions[event.id];
      if (question) {
        question.answer = event.answer;
        question.answeredAt = event.at;
      }
      break;
    }
    case 'usage.recorded': {
      const key = `${event.brand}/${event.day}`;
      state.usage.byBrandDay[key] = addUsage(state.usage.byBrandDay[key] ?? zeroUsage(), event.usage);
      break;
    }
    case 'log.repaired':
      for (const [key, value] of Object.entries(event.counters ?? {})) {
        const name = key as keyof State['counters'];
        if (name in state.counters && typeof value === 'number') state.counters[name] = Math.max(state.counters[name], value);
      }
      break;
    default:
      break;
  }
  return null;
}

/**
 * A patch as the reducer applies it: never with gate evidence, which only the
 * machine's `pass` and `reject` set (the `gate` field of a transition). Logs
 * written before that field carried the machine's evidence in the patch of
 * exactly those two transitions; it is taken from there only.
 */
function withoutGate(patch: object, event: string | null): object {
  const copy = structuredClone(patch) as Record<string, unknown>;
  if ('gate' in copy && event !== 'pass' && event !== 'reject') delete copy.gate;
  return copy;
}
