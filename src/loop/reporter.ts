import type { BusEvent } from '../bus/index.js';

/** Events too chatty for the headless line output (they stay in transcripts and the log). */
const QUIET = new Set(['agent.text', 'run.started', 'usage.recorded', 'ticket.updated']);

/** The part of a tool input a person recognises: the command, the file, the pattern. */
function toolSummary(input: unknown): string {
  if (!input || typeof input !== 'object') return '';
  const i = input as Record<string, unknown>;
  const main = i.command ?? i.file_path ?? i.pattern ?? i.question ?? i.summary ?? '';
  const line = String(main).split('\n')[0]!;
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}

function firstLine(value: unknown): string {
  const line = text(value).split('\n')[0]!;
  return line.length > 140 ? `${line.slice(0, 137)}...` : line;
}

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
      return `${head}tool      ${text(event.ticket)} ${text(event.tool)} ${toolSummary(event.input)}`.trimEnd();
    case 'tool.result':
      return event.isError ? `${head}tool      ${text(event.ticket)} ${text(event.tool)} ${event.refusedBy ? 'refused' : 'failed'}: ${firstLine(event.content)}` : null;
    case 'agent.start':
      return `${head}agent     ${text(event.ticket)} ${text(event.contract)} on ${text(event.via ?? event.model)}`;
    case 'agent.end':
      return `${head}agent     ${text(event.ticket)} ${text(event.status)} after ${text(event.turns)} turns${event.reason ? `: ${firstLine(event.reason)}` : ''}`;
    case 'agent.retry':
      return `${head}agent     ${text(event.ticket)} retry ${text(event.attempt)}: ${firstLine(event.reason)}`;
    case 'run.end':
      return `${head}run       ${text(event.ticket)} ${text(event.outcome)}${event.reason ? `: ${firstLine(event.reason)}` : ''}`;
    case 'dispatch.model':
      return `${head}dispatch  model: ${text(event.via)}`;
    case 'dispatch.waiting':
      return `${head}dispatch  waiting: ${text(event.reason)}`;
    case 'dispatch.recovered':
      return `${head}dispatch  recovered ${text(event.ticket)} from a run whose process died`;
    case 'gate.step':
      // A step's outcome says enough; its start is for live status bars.
      if (event.status === 'start') return null;
      return `${head}gate      ${text(event.ticket)} ${text(event.step)} ${text(event.status)}${event.reason ? `: ${firstLine(event.reason)}` : ''}`;
    case 'doctor.report':
      return `${head}doctor    ${text(event.grade)} ${text(event.passed)}/${text(event.total)}`;
    case 'merge.done':
      return `${head}merge     ${text(event.ticket)} merged into ${text(event.repo)} main at ${text(event.mainSha).slice(0, 10)}`;
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
