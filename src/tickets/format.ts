import { sanitize, sanitizeLine } from '../sanitize.js';
import type { Ticket } from '../state/types.js';

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** One line per ticket, aligned columns. */
export function formatTicketTable(tickets: Array<Pick<Ticket, 'id' | 'state' | 'priority' | 'brand' | 'repo' | 'kind' | 'title'>>): string {
  if (tickets.length === 0) return 'no tickets';
  const rows = tickets.map((t) => [t.id, t.state, t.priority, `${t.brand}/${t.repo}`, t.kind, t.title].map((cell) => sanitizeLine(cell)));
  const header = ['ID', 'STATE', 'PRI', 'BRAND/REPO', 'KIND', 'TITLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === cells.length - 1 ? cell : pad(cell, widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** The whole ticket, for `ticket show`: every text that came from outside is made safe for the terminal. */
export function formatTicket(t: Ticket): string {
  return sanitize(formatTicketRaw({ ...t, title: sanitizeLine(t.title) }));
}

function formatTicketRaw(t: Ticket): string {
  const lines = [
    `${t.id}  ${t.title}`,
    `  state     ${t.state}`,
    `  brand     ${t.brand} / ${t.repo}`,
    `  kind      ${t.kind}   priority ${t.priority}`,
    `  created   ${t.createdAt}   updated ${t.updatedAt}`,
  ];
  if (t.hold) lines.push(`  waiting   ${t.hold.reason}`);
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
      lines.push(
        `    ${r.id}  ${r.outcome ?? 'running'}  ${r.branch}${r.headSha ? ` @ ${r.headSha.slice(0, 10)}` : ''}${r.reason ? `  ${r.reason}` : ''}`,
      );
    }
  }
  if (t.gate) {
    const g = t.gate;
    lines.push(
      '',
      '  gate evidence:',
      `    base ${g.baseSha.slice(0, 10)}  candidate ${g.candidateSha.slice(0, 10)}`,
      ...g.checks.map((c) => `    ${c.name}: exit ${c.exitCode ?? 'none'} in ${c.durationMs} ms  (${c.command})`),
      `    verifier: ${g.verdict.verdict} (${g.verdict.mode})${g.verdict.reasons.length ? ` — ${g.verdict.reasons.join('; ')}` : ''}`,
      `    doctor: ${g.doctor.grade} ${g.doctor.passed}/${g.doctor.total}`,
    );
  }
  return lines.join('\n');
}
