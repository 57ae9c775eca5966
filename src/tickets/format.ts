import { sanitize, sanitizeLine } from '../sanitize.js';
import type { CheckEvidence, GateEvidence, Question, Ticket } from '../state/types.js';

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** The columns of `ticket list`. */
export const TABLE_HEADER = ['ID', 'STATE', 'PRI', 'BRAND/REPO', 'KIND', 'TITLE'] as const;

/** One line per ticket, aligned columns (`writeTicketListing` streams the same table for `ticket list`). */
export function formatTicketTable(tickets: Array<Pick<Ticket, 'id' | 'state' | 'priority' | 'brand' | 'repo' | 'kind' | 'title'>>): string {
  if (tickets.length === 0) return 'no tickets';
  const rows = tickets.map((t) => [t.id, t.state, t.priority, `${t.brand}/${t.repo}`, t.kind, t.title].map((cell) => sanitizeLine(cell)));
  const header: string[] = [...TABLE_HEADER];
  // A loop, not `Math.max(...rows)`: spreading 100,000 rows overflows the call stack's argument limit.
  const widths = header.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) if (r[i]!.length > widths[i]!) widths[i] = r[i]!.length;
  const line = (cells: string[]) => cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]!.trim();
}

/** The note of the ticket's last move into its current state (the gate's reason for a reject). */
function lastNote(t: Ticket): string | undefined {
  return [...t.history].reverse().find((h) => h.to === t.state)?.note;
}

/**
 * Why a ticket waits instead of moving on, in words the operator can act on,
 * or null when it is on its way (ready, running, in the gate's queue) or
 * closed. `ticket show`, the session report and the cockpit all say this, so
 * the reason is never only in a transcript.
 */
export function whyWaiting(t: Ticket, questions: readonly Question[] = []): string | null {
  // A hold explains a ticket that waits on its way (to run, or through the gate); a later failure,
  // reject or question explains itself even when a stale hold is still recorded.
  if (t.hold?.reason && (t.state === 'ready' || t.state === 'review' || t.state === 'merging')) {
    return `${t.state === 'review' ? 'waits in review: ' : ''}${t.hold.reason}`;
  }
  switch (t.state) {
    case 'triage':
      return `waits for your approval: \`master ticket move ${t.id} approve\``;
    case 'blocked': {
      const open = questions.find((q) => q.ticket === t.id && q.answer === undefined);
      if (open) return `waits for your answer to ${open.id}: ${firstLine(open.text)} (\`master answer ${open.id} TEXT\`)`;
      return `blocked: \`master ticket move ${t.id} unblock\` sends it back to ready`;
    }
    case 'failed': {
      const reason = t.runs.at(-1)?.reason ?? lastNote(t);
      return `failed${reason ? `: ${firstLine(reason)}` : ''}; \`master ticket move ${t.id} retry\` tries again, \`master ticket move ${t.id} cancel\` closes it`;
    }
    case 'rejected': {
      const note = lastNote(t);
      return `rejected by the merge gate${note ? `: ${firstLine(note)}` : ''}; \`master ticket move ${t.id} retry\` tries again with the gate's feedback, \`master ticket move ${t.id} cancel\` closes it`;
    }
    default:
      return null;
  }
}

const TAIL_LINES = 5;

function checkResult(c: CheckEvidence): string {
  return c.timedOut ? 'timed out' : c.exitCode === 0 ? 'passed, exit 0' : `failed, exit ${c.exitCode ?? 'none (killed)'}`;
}

/** One line per check (name, exit code, time, command) and the last lines of its output. */
export function formatChecks(checks: readonly CheckEvidence[], indent = '    '): string[] {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${indent}${c.name}: ${checkResult(c)} in ${c.durationMs} ms  (${c.command})`);
    const tail = c.outputTail
      .trimEnd()
      .split('\n')
      .filter((l) => l.trim())
      .slice(-TAIL_LINES);
    for (const line of tail) lines.push(`${indent}  | ${line}`);
  }
  return lines;
}

/**
 * The gate's steps as evidence shows them: a step after the one that failed
 * did not run and says so (a failed check means no verifier and no doctor;
 * a verifier's fail means no doctor).
 */
export function gateStepLines(g: GateEvidence): { verifier: string; doctor: string } {
  const checkFailed = g.checks.some((c) => c.exitCode !== 0 || c.timedOut);
  const doctorRan = !(g.doctor.total === 0 && (g.doctor.grade === '-' || g.doctor.grade === ''));
  const verifier = checkFailed ? 'not run (a check failed)' : `${g.verdict.verdict} (${g.verdict.mode})${g.verdict.reasons.length ? ` — ${g.verdict.reasons.join('; ')}` : ''}`;
  const doctor = doctorRan
    ? `${g.doctor.grade} ${g.doctor.passed}/${g.doctor.total}`
    : `not run (${checkFailed ? 'a check failed' : g.verdict.verdict === 'fail' ? 'the verifier failed the candidate' : 'the gate stopped before it'})`;
  return { verifier, doctor };
}

/** The whole ticket, for `ticket show`: every text that came from outside is made safe for the terminal. */
export function formatTicket(t: Ticket, questions: readonly Question[] = []): string {
  return sanitize(formatTicketRaw({ ...t, title: sanitizeLine(t.title) }, questions));
}

function formatTicketRaw(t: Ticket, questions: readonly Question[]): string {
  const lines = [
    `${t.id}  ${t.title}`,
    `  state     ${t.state}`,
    `  brand     ${t.brand} / ${t.repo}`,
    `  kind      ${t.kind}   priority ${t.priority}`,
    `  created   ${t.createdAt}   updated ${t.updatedAt}`,
  ];
  const why = whyWaiting(t, questions);
  if (why) lines.push(`  waiting   ${why}`);
  if (t.body) lines.push('', ...t.body.split('\n').map((l) => `  ${l}`));
  if (t.acceptance.length) lines.push('', '  acceptance:', ...t.acceptance.map((a) => `    - ${a}`));
  if (t.run.length) lines.push('', '  commands:', ...t.run.map((c) => `    $ ${c}`));
  if (t.feedback.length) lines.push('', '  feedback for the next attempt:', ...t.feedback.map((f) => `    - ${f}`));
  if (t.history.length) {
    lines.push('', '  history:');
    for (const h of t.history) {
      lines.push(`    ${h.at}  ${h.from} → ${h.to}  (${h.event} by ${h.by})${h.note ? `  ${h.note}` : ''}`);
    }
  }
  if (t.runs.length) {
    lines.push('', '  runs:');
    for (const r of t.runs) {
      lines.push(`    ${r.id}  ${r.outcome ?? 'running'}  ${r.branch}${r.headSha ? ` @ ${r.headSha.slice(0, 10)}` : ''}${r.reason ? `  ${r.reason}` : ''}`);
    }
  }
  if (t.hold?.checks?.length && t.state === 'review') {
    lines.push('', '  gate checks (the gate stopped after them):', ...formatChecks(t.hold.checks));
  }
  if (t.gate) {
    const g = t.gate;
    const steps = gateStepLines(g);
    lines.push(
      '',
      '  gate evidence:',
      `    base ${g.baseSha.slice(0, 10)}  candidate ${g.candidateSha.slice(0, 10)}`,
      ...(g.checks.length ? formatChecks(g.checks) : ['    checks: none configured']),
      `    verifier: ${steps.verifier}`,
      `    doctor: ${steps.doctor}`,
    );
  }
  return lines.join('\n');
}
