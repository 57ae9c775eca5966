import type { BusEvent } from '../bus/index.js';

/** Events too chatty for the headless line output (they stay in transcripts). */
const QUIET = new Set(['agent.text']);

function time(at: string): string {
  return at.slice(11, 19);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

/** One readable line for an event, or null for events the line output leaves out. */
export function formatEventLine(event: BusEvent): string | null {
  if (QUIET.has(event.type)) return null;
  const head = `${time(event.at)}  `;
  switch (event.type) {
    case 'session.start':
      return `${head}session ${text(event.session)} started (pid ${text(event.pid)})`;
    case 'session.end':
      return `${head}session ${text(event.session)} ended: ${text(event.outcome)}`;
    case 'phase.start':
      return `${head}${text(event.phase).padEnd(9)} ${text(event.reason) || 'started'}`;
    case 'phase.skip':
      return `${head}${text(event.phase).padEnd(9)} ${text(event.reason)}`;
    case 'phase.end':
      return `${head}${text(event.phase).padEnd(9)} ${event.ok ? 'done' : 'FAILED'}: ${text(event.reason)}`;
    case 'ticket.created':
      return `${head}ticket    ${text((event.ticket as { id?: string })?.id)} created`;
    case 'ticket.transition':
      return `${head}ticket    ${text(event.id)} ${text(event.from)} → ${text(event.to)} (${text(event.event)})${event.note ? `: ${text(event.note)}` : ''}`;
    case 'tool.call':
      return `${head}tool      ${text(event.ticket)} ${text(event.name)} ${text(event.summary ?? '')}`.trimEnd();
    case 'guard.decision':
      return event.verdict === 'allow' ? null : `${head}guard     ${text(event.verdict)} ${text(event.tool)} by ${text(event.guard)}: ${text(event.reason)}`;
    case 'question.asked':
      return `${head}question  ${text((event.question as { text?: string })?.text)}`;
    default: {
      const detail = event.summary ?? event.reason ?? event.message;
      return `${head}${event.type}${detail !== undefined ? ` ${text(detail)}` : ''}`;
    }
  }
}

/** NDJSON: every event as one JSON object per line (`type`, `at`, and for phases `phase` and `reason`). */
export function formatEventJson(event: BusEvent): string {
  return JSON.stringify(event);
}
