import { TICKET_STATES } from './types.js';

/**
 * Why a parsed log line is not an event the reducer may apply, or null when
 * it is one. Hand-written rather than a schema: it runs on every line of the
 * log on every full read, and only has to rule out what would crash or
 * corrupt the reducer (a line can be valid JSON and still be `null`, `{}`, a
 * number, or an event whose payload lost its fields).
 */
export function eventShapeProblem(value: unknown): string | null {
  if (value === null) return 'valid JSON but not an event (null)';
  if (Array.isArray(value)) return 'valid JSON but not an event (an array)';
  if (typeof value !== 'object') return `valid JSON but not an event (a ${typeof value})`;
  const e = value as Record<string, unknown>;
  if (!Number.isSafeInteger(e.seq) || (e.seq as number) < 1) return `not an event: no valid "seq" (found ${short(e.seq)})`;
  if (typeof e.type !== 'string' || e.type.length === 0) return 'not an event: no "type"';
  if (typeof e.at !== 'string') return 'not an event: no "at" time';
  const payload = payloadProblem(e);
  return payload ? `a "${e.type}" event without ${payload}` : null;
}

const STATES = new Set<string>(TICKET_STATES);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): boolean {
  return typeof v === 'string';
}

/** What a known event type is missing; unknown types (audit events, newer versions) only advance `seq`. */
function payloadProblem(e: Record<string, unknown>): string | null {
  switch (e.type) {
    case 'ticket.created': {
      const t = e.ticket;
      if (!isObject(t)) return 'a ticket';
      if (!str(t.id) || !/^T-\d+$/.test(t.id as string)) return 'a ticket id';
      if (!str(t.title) || !str(t.brand) || !str(t.repo)) return 'a title, brand and repo';
      if (!STATES.has(t.state as string)) return 'a known ticket state';
      if (!Array.isArray(t.history) || !Array.isArray(t.runs)) return 'history and runs';
      return null;
    }
    case 'ticket.transition':
      if (!str(e.id) || !STATES.has(e.to as string) || !STATES.has(e.from as string)) return 'a ticket id and its states';
      return e.patch === undefined || isObject(e.patch) ? null : 'a valid patch';
    case 'ticket.updated':
      return str(e.id) && isObject(e.patch) ? null : 'a ticket id and a patch';
    case 'ticket.archived':
      return Array.isArray(e.ids) && e.ids.every(str) && str(e.month) ? null : 'ticket ids and a month';
    case 'run.started':
      return str(e.run) ? null : 'a run id';
    case 'session.start':
    case 'session.end':
      return str(e.session) ? null : 'a session id';
    case 'phase.start':
    case 'phase.skip':
    case 'phase.end':
      return str(e.session) && str(e.phase) ? null : 'a session and a phase';
    case 'question.asked':
      return isObject(e.question) && str(e.question.id) ? null : 'a question';
    case 'question.answered':
      return str(e.id) && str(e.answer) ? null : 'a question id and an answer';
    case 'usage.recorded':
      return str(e.brand) && str(e.day) && isObject(e.usage) ? null : 'a brand, a day and usage';
    case 'log.repaired':
      return e.counters === undefined || isObject(e.counters) ? null : 'valid counters';
    default:
      return null;
  }
}

function short(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 30 ? `${text.slice(0, 27)}...` : text;
}
