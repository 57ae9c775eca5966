import type { BusEvent } from '../bus/index.js';

/** Events too chatty for the headless line output (they stay in transcripts and the log). */
const QUIET = new Set(['agent.text', 'run.started', 'usage.recorded', 'ticket.updated']);

/**
 * The part of a tool input a person recognises (the command, the file, the
 * pattern), whole: a line is never cut in the middle of an instruction. Only
 * what follows the first line is left out, and the line says how much.
 */
function toolSummary(input: unknown): string {
  if (!input || typeof input !== 'object') return '';
  const i = input as Record<string, unknown>;
  const main = i.command ?? i.file_path ?? i.pattern ?? i.question ?? i.summary ?? '';
  return firstLine(main);
}

/** The first line of a text, whole, and how many lines follow it (they stay in the transcript). */
function firstLine(value: unknown): string {
  const lines = text(value).trim().split('\n');
  const more = lines.length - 1;
  return more > 0 ? `${lines[0]!.trimEnd()} (+${more} more line${more === 1 ? '' : 's'})` : lines[0]!;
}

function time(at: string): string {
  return at.slice(11, 19);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
}

/** A gate step's outcome; a check names itself, so the failing one is known from the line. */
function gateStep(event: BusEvent): string {
  if (event.step === 'check' && event.name) {
    const exit = event.status === 'fail' ? (event.timedOut ? ' (timed out)' : ` (exit ${text(event.exitCode ?? 'none')})`) : '';
    return `check ${text(event.name)} ${text(event.status)}${exit}`;
  }
  return `${text(event.step)} ${text(event.status)}`;
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
      return `${head}gate      ${text(event.ticket)} ${gateStep(event)}${event.reason ? `: ${firstLine(event.reason)}` : ''}`;
    case 'doctor.report':
      return `${head}doctor    ${text(event.grade)} ${text(event.passed)}/${text(event.total)}`;
    case 'merge.done':
      return `${head}merge     ${text(event.ticket)} merged into ${text(event.repo)} main at ${text(event.mainSha).slice(0, 10)}`;
    case 'guard.decision':
      return event.verdict === 'allow' ? null : `${head}guard     ${text(event.verdict)} ${text(event.tool)} by ${text(event.guard)}: ${text(event.reason)}`;
    case 'question.asked': {
      const question = event.question as { id?: string; ticket?: string; text?: string } | undefined;
      const how = question?.id ? ` (\`master answer ${question.id} TEXT\` answers it)` : '';
      return `${head}question  ${question?.id ? `${question.id} ` : ''}${question?.ticket ? `for ${question.ticket}: ` : ''}${firstLine(question?.text)}${how}`;
    }
    case 'question.answered':
      return `${head}question  ${text(event.id)} answered by ${text(event.by)}`;
    case 'ticket.archived':
      return `${head}ticket    archived ${(event.ids as unknown[] | undefined)?.length ?? 0} closed tickets into ${text(event.month)}`;
    case 'note':
      return `${head}note      ${firstLine(event.message)}`;
    case 'bus.error':
      return `${head}error     ${firstLine(event.message)}`;
    case 'dispatch.sandbox':
      return `${head}dispatch  sandbox: ${firstLine(event.summary)}`;
    case 'wiki.finding':
      return `${head}wiki      finding ${text(event.finding)} (${text(event.confidence)} confidence): ${text(event.change)} ${text(event.target)}`;
    case 'wiki.write':
      return `${head}wiki      wrote ${text(event.page)} (${text(event.authority)}): ${firstLine(event.how)}`;
    default: {
      // An event this printer has no words for yet: its kind in words and its detail, never a bare dotted name.
      const detail = event.summary ?? event.reason ?? event.message;
      const [area, ...what] = event.type.split('.');
      return `${head}${area!.padEnd(9)} ${what.join(' ') || 'event'}${detail !== undefined ? `: ${firstLine(detail)}` : ''}`;
    }
  }
}

/** NDJSON: every event as one JSON object per line (`type`, `at`, and for phases `phase` and `reason`). */
export function formatEventJson(event: BusEvent): string {
  return JSON.stringify(event);
}
