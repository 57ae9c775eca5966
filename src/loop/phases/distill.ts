import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Ticket } from '../../state/types.js';
import { calendarDay, humanTime } from '../clock.js';
import type { Phase, PhaseContext } from '../phase.js';

/** Tickets merged since the last distillation: the day's candidates for the wiki. */
function candidates(context: PhaseContext): Ticket[] {
  const last = context.ws.store.state.phases.distill?.at ?? '';
  return Object.values(context.ws.store.state.tickets).filter((t) =>
    t.history.some((h) => h.event === 'merge' && h.at > last),
  );
}

function ledgerEntry(ticket: Ticket): string {
  const merge = ticket.history.find((h) => h.event === 'merge');
  return [
    `## ${ticket.id}: ${ticket.title}`,
    '',
    `- brand: ${ticket.brand}, repo: ${ticket.repo}, merged ${merge?.at ?? ''}`,
    ...(ticket.gate ? [`- commit ${ticket.gate.candidateSha.slice(0, 12)}; verifier: ${ticket.gate.verdict.verdict}`] : []),
    ...ticket.acceptance.map((a) => `- accepted: ${a}`),
    '',
  ].join('\n');
}

/**
 * Once per calendar day (workspace time zone): the day's merged tickets go
 * into `wiki/ledger/DATE.md` as low-confidence findings, where the distiller
 * agents pick them up.
 */
export const distillPhase: Phase = {
  name: 'distill',
  shouldRun(context) {
    const { registry, store } = context.ws;
    const now = context.clock();
    const last = store.state.phases.distill?.at;
    if (last && calendarDay(new Date(last), registry.timezone) === calendarDay(now, registry.timezone)) {
      return { run: false, reason: `skip distill: already ran today at ${humanTime(new Date(last), now, registry.timezone)}` };
    }
    const found = candidates(context).length;
    if (found === 0) {
      return {
        run: false,
        reason: last
          ? `skip distill: nothing to distill (no ticket merged since ${humanTime(new Date(last), now, registry.timezone)})`
          : 'skip distill: nothing to distill yet (no ticket has been merged)',
      };
    }
    return { run: true, reason: `distill: ${found} merged ticket${found === 1 ? '' : 's'} since the last distillation` };
  },
  async run(context) {
    const day = calendarDay(context.clock(), context.ws.registry.timezone);
    const tickets = candidates(context);
    const dir = path.join(context.ws.paths.wiki, 'ledger');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${day}.md`);
    const frontmatter = ['---', `title: Ledger ${day}`, 'brand: global', 'tags: [ledger]', `updated: ${context.clock().toISOString()}`, '---', ''];
    // A second distillation the same day (--force) adds to the day's ledger, never replaces it.
    const earlier = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const kept = earlier.includes('\n## ') ? earlier.slice(earlier.indexOf('\n## ') + 1).trimEnd() + '\n\n' : '';
    const fresh = tickets.filter((t) => !kept.includes(`## ${t.id}: `)).map(ledgerEntry);
    writeFileSync(file, [...frontmatter, `# Ledger ${day}`, '', kept + fresh.join('\n')].join('\n'));
    return {
      ok: true,
      summary: `distilled ${tickets.length} merged ticket${tickets.length === 1 ? '' : 's'} into wiki/ledger/${day}.md`,
      result: { day, tickets: tickets.map((t) => t.id), ledger: path.relative(context.ws.paths.home, file) },
    };
  },
};
