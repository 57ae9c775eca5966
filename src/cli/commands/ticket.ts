import { existsSync, readFileSync } from 'node:fs';
import { findBrand, findRepo, repoPath } from '../../registry/load.js';
import { UserError } from '../../errors.js';
import { sanitize, sanitizeLine } from '../../sanitize.js';
import { describeFsError } from '../../state/fsErrors.js';
import { normalizeId, OPERATOR_EVENTS } from '../../tickets/index.js';
import { editTicket, operatorRefusal } from '../../tickets/actions.js';
import { formatTicket, formatTicketTable } from '../../tickets/format.js';
import { writeTicketListing } from '../../tickets/listing.js';
import { TICKET_EVENTS, type Ticket, type TicketEventName } from '../../state/types.js';
import { openWorkspace, type Workspace } from '../../workspace/open.js';
import { err, json, out, outChunk } from '../output.js';

type Home = () => string | undefined;

async function withWorkspace<T>(home: Home, work: (ws: Workspace) => T | Promise<T>): Promise<T> {
  const ws = await openWorkspace(home());
  for (const notice of ws.store.notices) err(`note: ${sanitize(notice)}`);
  try {
    return await work(ws);
  } finally {
    // One-shot commands leave the snapshot to the next long-running process unless it fell far behind.
    await ws.store.close({ snapshotIfBehind: 200 });
  }
}

interface AddOptions {
  brand: string;
  repo: string;
  title: string;
  body: string;
  bodyFile?: string;
  accept: string[];
  kind: 'agent' | 'script';
  run: string[];
  priority: 'p0' | 'p1' | 'p2' | 'p3';
  json?: boolean;
}

/** The body from `--body TEXT`, `--body -` (stdin) or `--body-file FILE`; read before the workspace is touched. */
function readBody(options: Pick<AddOptions, 'body' | 'bodyFile'>): string {
  if (options.bodyFile !== undefined && options.body) {
    throw new UserError('give the body once: either --body or --body-file');
  }
  const from = options.bodyFile ?? (options.body === '-' ? '-' : null);
  if (from === null) return options.body;
  try {
    return readFileSync(from === '-' ? 0 : from, 'utf8');
  } catch (error) {
    const what = from === '-' ? 'the body from stdin' : `--body-file ${from}`;
    throw new UserError(`cannot read ${what}: ${describeFsError(error)}`);
  }
}

export function addCommand(home: Home) {
  return (options: AddOptions) => {
    const body = readBody(options);
    return withWorkspace(home, ({ tickets, registry, paths }) => {
      // A ticket for a repo whose folder is gone could never run: said now, not at dispatch.
      const repo = findRepo(findBrand(registry, options.brand), options.repo);
      const folder = repoPath(paths.home, repo);
      if (!existsSync(folder)) {
        throw new UserError(`repo ${repo.id}'s folder ${folder} does not exist; clone it there (or fix its path: \`master repo remove\` then \`master repo add\`), then add the ticket`);
      }
      const ticket = tickets.create({
        brand: options.brand,
        repo: options.repo,
        title: options.title,
        body,
        acceptance: options.accept,
        kind: options.kind,
        run: options.run,
        priority: options.priority,
      });
      if (options.json) json(ticket);
      else out(`${ticket.id} created in triage: ${sanitizeLine(ticket.title)}  (approve with \`master ticket move ${ticket.id} approve\`)`);
    });
  };
}

export function listCommand(home: Home) {
  return (options: { brand?: string; state?: string; all?: boolean; json?: boolean }) =>
    withWorkspace(home, ({ tickets, store }) => {
      if (!options.json && !options.all) {
        // Streamed: at 100,000 tickets the table is never built whole, in memory or as one string.
        tickets.checkListFilter(options);
        return writeTicketListing(store, options, outChunk);
      }
      const list = tickets.list(options);
      if (options.all && !options.brand && !options.state) {
        const missing = tickets.unreadableArchived(list);
        if (missing.length) {
          err(
            `note: ${missing.length} archived ticket${missing.length === 1 ? '' : 's'} could not be read (${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}): the archive is missing or damaged; \`master repair\` rebuilds it from the event log`,
          );
        }
      }
      if (options.json) json(list);
      else out(formatTicketTable(list));
    });
}

export function showCommand(home: Home) {
  return (id: string, options: { json?: boolean }) =>
    withWorkspace(home, ({ tickets, store }) => {
      const ticket = tickets.get(id);
      if (options.json) json(ticket);
      else out(formatTicket(ticket, Object.values(store.state.questions)));
    });
}

/** `master ticket move ID... EVENT`: the last word is the event, every word before it a ticket. */
export function moveCommand(home: Home) {
  return (words: string[], options: { note?: string; json?: boolean }) => {
    if (words.length < 2) throw new UserError(`give a ticket and an event: master ticket move ID... EVENT (events: ${OPERATOR_EVENTS.join(', ')})`);
    const event = words.at(-1)!;
    const ids = [...new Set(words.slice(0, -1).map(normalizeId))];
    const name = operatorEvent(event);
    return withWorkspace(home, async (ws) => {
      const { tickets } = ws;
      // Every ticket is checked before any moves: one refused leaves all of them as they were.
      const refusals = ids.flatMap((id) => {
        const why = operatorRefusal(tickets.get(id), name);
        return why ? [why] : [];
      });
      if (refusals.length === 1) throw new UserError(refusals[0]!);
      if (refusals.length > 1) throw new UserError(`${refusals.length} of ${ids.length} tickets cannot ${name}, none was moved:\n${refusals.map((r) => `  - ${r}`).join('\n')}`);
      const moved: Ticket[] = [];
      for (const id of ids) {
        const before = tickets.get(id).state;
        const ticket = tickets.transition(id, name, { by: 'operator', ...(options.note ? { note: options.note } : {}) });
        moved.push(ticket);
        // A closed ticket leaves nothing behind: its worktree and branch go, its unmerged work is kept and said.
        const cleanup = name === 'cancel' ? await (await import('../../gate/sweep.js')).sweepCancelled(ws, ticket.id, before) : null;
        if (!options.json) out(`${ticket.id}: ${before} → ${ticket.state}${cleanup ? `; ${cleanup}` : ''}`);
      }
      // One id prints the ticket as before; several print an array.
      if (options.json) json(moved.length === 1 ? moved[0] : moved);
    });
  };
}

/** The event's name if an operator may send it, else a message that lists only the operator's events. */
function operatorEvent(event: string): TicketEventName {
  const name = event.toLowerCase();
  if (OPERATOR_EVENTS.includes(name as TicketEventName)) return name as TicketEventName;
  if ((TICKET_EVENTS as readonly string[]).includes(name)) {
    throw new UserError(`"${name}" is the system's own event (the dispatcher and the merge gate send it); operators use: ${OPERATOR_EVENTS.join(', ')}`);
  }
  throw new UserError(`unknown event "${event}"; operators use: ${OPERATOR_EVENTS.join(', ')}`);
}

interface EditOptions {
  title?: string;
  body?: string;
  bodyFile?: string;
  accept?: string[];
  priority?: 'p0' | 'p1' | 'p2' | 'p3';
  json?: boolean;
}

/** `master ticket edit ID [--title] [--body|--body-file] [--accept]... [--priority]`. */
export function editCommand(home: Home) {
  return (id: string, options: EditOptions) => {
    const body =
      options.body === undefined && options.bodyFile === undefined ? undefined : readBody({ body: options.body ?? '', ...(options.bodyFile !== undefined ? { bodyFile: options.bodyFile } : {}) });
    return withWorkspace(home, ({ tickets }) => {
      const { ticket, changed } = editTicket(tickets, id, {
        ...(options.title !== undefined ? { title: options.title } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(options.accept !== undefined ? { acceptance: options.accept } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
      });
      if (options.json) json(ticket);
      else out(changed.length ? `${ticket.id}: edited ${changed.join(', ')}` : `${ticket.id}: nothing changed (it already says that)`);
    });
  };
}

export function recheckCommand(home: Home) {
  return (id: string) =>
    withWorkspace(home, ({ tickets }) => {
      const ticket = tickets.get(id);
      if (ticket.hold?.kind !== 'gate') {
        throw new UserError(`${ticket.id} is not held by the merge gate (it is ${ticket.state}${ticket.hold ? `, waiting: ${ticket.hold.reason}` : ''}); nothing to recheck`);
      }
      tickets.update(ticket.id, () => ({ hold: null }));
      out(`${ticket.id}: the gate verifies it again on its next run`);
    });
}
