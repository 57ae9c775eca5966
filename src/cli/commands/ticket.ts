import { readFileSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { sanitize, sanitizeLine } from '../../sanitize.js';
import { describeFsError } from '../../state/fsErrors.js';
import { OPERATOR_EVENTS } from '../../tickets/index.js';
import { formatTicket, formatTicketTable } from '../../tickets/format.js';
import { TICKET_EVENTS, type TicketEventName } from '../../state/types.js';
import { openWorkspace, type Workspace } from '../../workspace/open.js';
import { err, json, out } from '../output.js';

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
function readBody(options: AddOptions): string {
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
    return withWorkspace(home, ({ tickets }) => {
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
    withWorkspace(home, ({ tickets }) => {
      if (!options.json && !options.all) {
        out(formatTicketTable(tickets.listSummaries(options)));
        return;
      }
      const list = tickets.list(options);
      if (options.all && !options.brand && !options.state) {
        const missing = tickets.unreadableArchived(list);
        if (missing.length) {
          err(`note: ${missing.length} archived ticket${missing.length === 1 ? '' : 's'} could not be read (${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', …' : ''}): the archive is missing or damaged; \`master repair\` rebuilds it from the event log`);
        }
      }
      if (options.json) json(list);
      else out(formatTicketTable(list));
    });
}

export function showCommand(home: Home) {
  return (id: string, options: { json?: boolean }) =>
    withWorkspace(home, ({ tickets }) => {
      const ticket = tickets.get(id);
      if (options.json) json(ticket);
      else out(formatTicket(ticket));
    });
}

export function moveCommand(home: Home) {
  return (id: string, event: string, options: { note?: string; json?: boolean }) =>
    withWorkspace(home, ({ tickets }) => {
      const name = event.toLowerCase();
      if (!(TICKET_EVENTS as readonly string[]).includes(name)) {
        throw new UserError(`unknown event "${event}"; operators use: ${OPERATOR_EVENTS.join(', ')}`);
      }
      if (!OPERATOR_EVENTS.includes(name as TicketEventName)) {
        throw new UserError(
          `"${name}" is the system's own event (the dispatcher and the merge gate send it); operators use: ${OPERATOR_EVENTS.join(', ')}`,
        );
      }
      const before = tickets.get(id).state;
      const ticket = tickets.transition(id, name as TicketEventName, { by: 'operator', ...(options.note ? { note: options.note } : {}) });
      if (options.json) json(ticket);
      else out(`${ticket.id}: ${before} → ${ticket.state}`);
    });
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
