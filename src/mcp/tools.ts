import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as z from 'zod/mini';
import { UserError } from '../errors.js';
import { answerQuestion, openQuestions } from '../questions/index.js';
import { processAlive } from '../state/lock.js';
import { PRIORITIES, TICKET_STATES, type Question, type Ticket } from '../state/types.js';
import { formatTicket, formatTicketTable } from '../tickets/format.js';
import { normalizeId, OPERATOR_EVENTS, TicketNotFoundError, TransitionError } from '../tickets/index.js';
import type { Workspace } from '../workspace/open.js';
import type { McpScope } from './scope.js';

/**
 * The tools `master mcp` serves: the same modules the CLI uses (tickets and
 * their machine, questions, wiki, doctor), seen through the client's scope.
 * Each returns a text for a model to read and the same facts as structured
 * content matching its output schema.
 */

const nonEmpty = () => z.string().check(z.minLength(1));
const trimmed = () => z.string().check(z.trim(), z.minLength(1));
/** A field with the description an MCP client shows its model. */
function described<T extends z.ZodMiniType>(schema: T, text: string): T {
  return schema.check(z.describe(text));
}

export interface McpToolEnv {
  ws: Workspace;
  scope: McpScope;
  /** Who the history names for changes made through this server. */
  actor: string;
}

export interface McpToolOutput {
  text: string;
  structured: Record<string, unknown>;
}

export interface McpTool {
  name: string;
  title: string;
  description: string;
  input: z.ZodMiniObject;
  output: z.ZodMiniObject;
  readOnly: boolean;
  run(args: Record<string, unknown>, env: McpToolEnv): Promise<McpToolOutput> | McpToolOutput;
}

const TicketSummary = z.looseObject({
  id: z.string(),
  brand: z.string(),
  repo: z.string(),
  title: z.string(),
  state: z.enum(TICKET_STATES),
  priority: z.enum(PRIORITIES),
  kind: z.string(),
});
const TicketFull = z.extend(TicketSummary, {
  body: z.string(),
  acceptance: z.array(z.string()),
  run: z.array(z.string()),
  history: z.array(z.looseObject({ at: z.string(), from: z.string(), to: z.string(), event: z.string(), by: z.string() })),
  runs: z.array(z.looseObject({ id: z.string() })),
  gate: z.nullable(z.looseObject({})),
  feedback: z.array(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const QuestionOut = z.looseObject({ id: z.string(), kind: z.string(), text: z.string(), askedAt: z.string(), ticket: z.optional(z.string()), brand: z.optional(z.string()) });

function summary(t: Ticket) {
  return { id: t.id, brand: t.brand, repo: t.repo, title: t.title, state: t.state, priority: t.priority, kind: t.kind, updatedAt: t.updatedAt };
}

/** A ticket this client may see (a silo's tickets do not exist for a client outside it). */
function visibleTicket(env: McpToolEnv, id: string): Ticket {
  env.ws.store.refresh();
  const ticket = env.ws.tickets.get(id);
  if (!env.scope.brandVisible(ticket.brand)) throw new TicketNotFoundError(normalizeId(id));
  return ticket;
}

function questionBrand(env: McpToolEnv, q: Question): string | undefined {
  return q.brand ?? (q.ticket ? env.ws.store.state.tickets[q.ticket]?.brand : undefined);
}

function visibleQuestions(env: McpToolEnv): Question[] {
  env.ws.store.refresh();
  return openQuestions(env.ws.store.state.questions).filter((q) => {
    if (env.scope.brand === undefined) return true;
    const brand = questionBrand(env, q);
    return brand !== undefined && env.scope.brandVisible(brand);
  });
}

const ticketsList: McpTool = {
  name: 'tickets_list',
  title: 'List tickets',
  description:
    "Lists the workspace's tickets (id, state, priority, brand/repo, kind, title), oldest first. Filter by brand and/or state. States: triage (proposed, waits for approval), ready (queued for an agent), running, review (waits for the merge gate), merging, merged, failed, rejected, blocked (waits for an answer), cancelled. Use ticket_get for one ticket's body, history and runs.",
  input: z.strictObject({
    brand: described(z.optional(nonEmpty()), 'only tickets of this brand id'),
    state: described(z.optional(z.enum(TICKET_STATES)), 'only tickets in this state'),
  }),
  output: z.object({ tickets: z.array(TicketSummary) }),
  readOnly: true,
  run(args: { brand?: string; state?: string }, env) {
    if (args.brand) env.scope.requireBrand(args.brand);
    env.ws.store.refresh();
    const list = env.ws.tickets.list(args).filter((t) => env.scope.brandVisible(t.brand));
    return { text: formatTicketTable(list), structured: { tickets: list.map(summary) } };
  },
};

const ticketGet: McpTool = {
  name: 'ticket_get',
  title: 'Show a ticket',
  description: "Shows one ticket by id (T-12, or just 12): its title, body, acceptance criteria, state, the history of every transition, its agent runs and the merge gate's evidence.",
  input: z.strictObject({ id: described(nonEmpty(), 'the ticket id, e.g. T-12') }),
  output: TicketFull,
  readOnly: true,
  run(args: { id: string }, env) {
    const ticket = visibleTicket(env, args.id);
    return { text: formatTicket(ticket), structured: ticket as unknown as Record<string, unknown> };
  },
};

const ticketCreate: McpTool = {
  name: 'ticket_create',
  title: 'Create a ticket',
  description:
    'Files a new ticket in triage (the operator approves it with ticket_transition event "approve" before an agent picks it up). kind "agent" (default) is done by an AI executor from the title, body and acceptance criteria; kind "script" runs its `run` shell commands in the ticket\'s worktree. Brand and repo ids come from registry_list.',
  input: z.strictObject({
    brand: described(nonEmpty(), 'brand id (registry_list shows them)'),
    repo: described(nonEmpty(), 'repo id within the brand'),
    title: described(trimmed(), 'one line: what is to be done'),
    body: described(z.optional(z.string()), 'what to do and why, in as much detail as the executor needs'),
    acceptance: described(z.optional(z.array(trimmed())), 'acceptance criteria, one per item; the verifier checks each'),
    kind: described(z.optional(z.enum(['agent', 'script'])), 'who does the work (default agent)'),
    run: described(z.optional(z.array(trimmed())), 'the commands of a script ticket (required for kind "script", not allowed otherwise)'),
    priority: described(z.optional(z.enum(PRIORITIES)), 'p0 (most urgent) to p3; default p2'),
  }),
  output: TicketFull,
  readOnly: false,
  run(args: { brand: string; repo: string; title: string; body?: string; acceptance?: string[]; kind?: 'agent' | 'script'; run?: string[]; priority?: 'p0' | 'p1' | 'p2' | 'p3' }, env) {
    env.scope.requireBrand(args.brand);
    const ticket = env.ws.tickets.create(
      {
        brand: args.brand,
        repo: args.repo,
        title: args.title,
        body: args.body ?? '',
        acceptance: args.acceptance ?? [],
        kind: args.kind ?? 'agent',
        run: args.run ?? [],
        priority: args.priority ?? 'p2',
      },
      env.actor,
    );
    return {
      text: `${ticket.id} created in triage: ${ticket.title} (approve it with ticket_transition {"id": "${ticket.id}", "event": "approve"})`,
      structured: ticket as unknown as Record<string, unknown>,
    };
  },
};

const ticketTransition: McpTool = {
  name: 'ticket_transition',
  title: 'Move a ticket',
  description: `Sends an operator event to a ticket's state machine: approve (triage → ready), block (ready/running → blocked), unblock (blocked → ready), cancel (any open state → cancelled), retry (failed/rejected → ready; the note becomes feedback for the next attempt), reopen (cancelled → triage). The dispatcher's and the merge gate's own events cannot be sent. A refused event says which events the ticket accepts now.`,
  input: z.strictObject({
    id: described(nonEmpty(), 'the ticket id, e.g. T-12'),
    event: described(z.enum(OPERATOR_EVENTS as [string, ...string[]]), `one of ${OPERATOR_EVENTS.join(', ')}`),
    note: described(z.optional(trimmed()), 'why; kept in the history (for retry: feedback for the next attempt)'),
  }),
  output: TicketFull,
  readOnly: false,
  run(args: { id: string; event: string; note?: string }, env) {
    const before = visibleTicket(env, args.id);
    try {
      const ticket = env.ws.tickets.transition(before.id, args.event as (typeof OPERATOR_EVENTS)[number], { by: env.actor, ...(args.note ? { note: args.note } : {}) });
      return { text: `${ticket.id}: ${before.state} → ${ticket.state}`, structured: ticket as unknown as Record<string, unknown> };
    } catch (error) {
      if (!(error instanceof TransitionError)) throw error;
      // The machine's list includes the system's events; a client may only send the operator's.
      const mayUse = error.allowed.filter((e) => (OPERATOR_EVENTS as readonly string[]).includes(e));
      throw new UserError(
        `${error.ticket} is ${error.state}: "${args.event}" is not allowed from ${error.state}; the operator may send: ${mayUse.length ? mayUse.join(', ') : 'nothing (the ticket is final, or only the system moves it now)'}`,
      );
    }
  },
};

const questionsList: McpTool = {
  name: 'questions_list',
  title: 'Open questions',
  description: "Lists the questions that wait for the operator: an agent's question that blocks its ticket, a guard asking to allow a command, a proposal to approve. Answer with question_answer.",
  input: z.strictObject({}),
  output: z.object({ questions: z.array(QuestionOut) }),
  readOnly: true,
  run(_args, env) {
    const open = visibleQuestions(env);
    const text = open.length ? open.map((q) => `${q.id}  ${q.kind}${q.ticket ? `  ${q.ticket}` : ''}  ${q.text}`).join('\n') : 'no open questions';
    return { text, structured: { questions: open.map((q) => ({ ...q })) } };
  },
};

const questionAnswer: McpTool = {
  name: 'question_answer',
  title: 'Answer a question',
  description:
    'Answers an open question (id from questions_list, e.g. Q-3) as the operator. A ticket blocked on it goes back to ready and its agent continues with the answer. For a guard\'s question "yes" allows exactly that call; anything else refuses it.',
  input: z.strictObject({ id: described(nonEmpty(), 'the question id, e.g. Q-3'), answer: described(trimmed(), 'the answer') }),
  output: z.object({ question: QuestionOut, ticket: z.optional(z.object({ id: z.string(), state: z.string() })) }),
  readOnly: false,
  run(args: { id: string; answer: string }, env) {
    const id = args.id.trim().toUpperCase();
    const open = visibleQuestions(env);
    if (!open.some((q) => q.id === id)) {
      throw new UserError(`no open question ${args.id}; open questions: ${open.map((q) => q.id).join(', ') || 'none'}`);
    }
    const question = answerQuestion(env.ws, id, args.answer, env.actor);
    const ticket = question.ticket ? env.ws.store.state.tickets[question.ticket] : undefined;
    return {
      text: `${question.id} answered${ticket ? `; ${ticket.id} is ${ticket.state}` : ''}`,
      structured: { question: { ...question }, ...(ticket ? { ticket: { id: ticket.id, state: ticket.state } } : {}) },
    };
  },
};

async function scopedWiki(env: McpToolEnv) {
  const { Wiki } = await import('../wiki/wiki.js');
  return Wiki.open(env.ws.paths).restrictedTo(env.scope.pageVisible);
}

const wikiSearch: McpTool = {
  name: 'wiki_search',
  title: 'Search the wiki',
  description:
    'Full-text search of the workspace wiki (what earlier tickets and the operator recorded: processes, conventions, decisions), best first, with a snippet each. Pages are named brand/page or global/page; read one with wiki_read (or the resource wiki://<page>).',
  input: z.strictObject({
    query: described(trimmed(), 'words to search for'),
    brand: described(z.optional(nonEmpty()), "only this brand's pages"),
    limit: described(z.optional(z.int().check(z.gte(1), z.lte(50))), 'at most this many pages (default 10)'),
  }),
  output: z.object({ hits: z.array(z.object({ page: z.string(), title: z.string(), score: z.number(), snippet: z.string() })) }),
  readOnly: true,
  async run(args: { query: string; brand?: string; limit?: number }, env) {
    if (args.brand) env.scope.requireBrand(args.brand);
    const wiki = await scopedWiki(env);
    const hits = wiki.search(args.query, { limit: args.limit ?? 10, ...(args.brand ? { filter: (n: string) => n.startsWith(`${args.brand}/`) } : {}) });
    const text = hits.length ? hits.map((h) => `[[${h.page}]] ${h.title} (score ${h.score})\n  ${h.snippet}`).join('\n') : `no wiki page matches "${args.query}"`;
    return { text, structured: { hits } };
  },
};

const wikiRead: McpTool = {
  name: 'wiki_read',
  title: 'Read a wiki page',
  description: 'Reads one wiki page by its name (e.g. umano/release-process, or a unique file name such as release-process): its frontmatter and Markdown text.',
  input: z.strictObject({ page: described(trimmed(), 'the page name, e.g. brand/page') }),
  output: z.object({ page: z.string(), title: z.string(), text: z.string() }),
  readOnly: true,
  async run(args: { page: string }, env) {
    const page = await readPage(env, args.page);
    return { text: page.text, structured: page };
  },
};

/** A page as this client may read it (wiki_read and the wiki:// resources). */
export async function readPage(env: McpToolEnv, name: string): Promise<{ page: string; title: string; text: string }> {
  const wiki = await scopedWiki(env);
  const entry = wiki.require(name.replace(/^\[\[|\]\]$/g, '').replace(/\.md$/, ''));
  return { page: entry.name, title: entry.title, text: wiki.text(entry.name) };
}

const registryList: McpTool = {
  name: 'registry_list',
  title: 'Brands and repos',
  description:
    "Lists the workspace's brands (id, name, whether siloed) with their repos (id, path, main branch, checks) and the names of their MCP servers: the ids ticket_create and the filters take.",
  input: z.strictObject({}),
  output: z.object({
    brands: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        silo: z.boolean(),
        repos: z.array(z.object({ id: z.string(), path: z.string(), mainBranch: z.string(), checks: z.record(z.string(), z.unknown()) })),
        mcpServers: z.array(z.string()),
      }),
    ),
    timezone: z.string(),
  }),
  readOnly: true,
  run(_args, env) {
    const brands = env.scope.brands().map((b) => ({
      id: b.id,
      name: b.name,
      silo: b.silo,
      repos: b.repos.map((r) => ({ id: r.id, path: r.path, mainBranch: r.mainBranch, checks: { ...r.checks } })),
      // Names only: a server's env may hold credentials.
      mcpServers: Object.keys(b.mcpServers),
    }));
    const text = brands.map((b) => `${b.id}  ${b.name}${b.silo ? '  (silo)' : ''}\n${b.repos.map((r) => `  ${r.id}  ${r.path}  (${r.mainBranch})`).join('\n')}`).join('\n') || 'no brands';
    return { text, structured: { brands, timezone: env.ws.registry.timezone } };
  },
};

const doctorRun: McpTool = {
  name: 'doctor_run',
  title: 'Run the system doctor',
  description:
    'Grades the workspace with the system doctor (registry, repos, worktrees, state, event log, guards, silos, sandbox, agent contracts, model, disk, git, node): A means no check fails. Each failing check says how to fix it. Read-only: files no tickets, fixes nothing.',
  input: z.strictObject({}),
  output: z.object({
    grade: z.string(),
    passed: z.number(),
    total: z.number(),
    checks: z.array(z.object({ id: z.string(), title: z.string(), status: z.enum(['pass', 'warn', 'fail']), message: z.string(), fix: z.optional(z.string()) })),
  }),
  readOnly: true,
  async run(_args, env) {
    const { runDoctor } = await import('../doctor/index.js');
    const report = await runDoctor({ paths: env.ws.paths, registry: env.ws.registry }, { file: false });
    const hidden = hiddenNames(env);
    const checks = report.checks.map(({ id, title, status, message, fix }) => {
      const secret = hidden.some((name) => message.includes(name) || (fix ?? '').includes(name));
      return { id, title, status, message: secret ? '(concerns a brand this client cannot see)' : message, ...(fix && !secret ? { fix } : {}) };
    });
    const text = [
      `doctor: ${report.grade} ${report.passed}/${report.total}`,
      ...checks.map((c) => `  ${c.status.padEnd(4)} ${c.id}: ${c.message}${c.status !== 'pass' && c.fix ? `\n       fix: ${c.fix}` : ''}`),
    ].join('\n');
    return { text, structured: { grade: report.grade, passed: report.passed, total: report.total, checks } };
  },
};

/** Ids and paths of what a scoped client must not learn about (doctor messages name repos). */
function hiddenNames(env: McpToolEnv): string[] {
  return env.ws.registry.brands.filter((b) => !env.scope.brandVisible(b.id)).flatMap((b) => [b.id, ...b.repos.flatMap((r) => [r.id, r.path])]);
}

const sessionStatus: McpTool = {
  name: 'session_status',
  title: 'Session status',
  description: 'Whether a session loop (`master start`) is running now, the last session and its phases, when each phase last ran, tickets by state and how many questions wait for the operator.',
  input: z.strictObject({}),
  output: z.object({
    running: z.boolean(),
    lastSession: z.nullable(z.looseObject({ id: z.string(), startedAt: z.string() })),
    phases: z.record(z.string(), z.object({ at: z.string(), ok: z.boolean() })),
    tickets: z.record(z.string(), z.number()),
    openQuestions: z.number(),
  }),
  readOnly: true,
  run(_args, env) {
    env.ws.store.refresh();
    const state = env.ws.store.state;
    const running = sessionRunning(env.ws.paths.sessionLock);
    const last = state.sessions.at(-1) ?? null;
    const phases = Object.fromEntries(Object.entries(state.phases).map(([name, p]) => [name, { at: p.at, ok: p.ok }]));
    const tickets: Record<string, number> = {};
    for (const t of Object.values(state.tickets)) if (env.scope.brandVisible(t.brand)) tickets[t.state] = (tickets[t.state] ?? 0) + 1;
    const openQuestions = visibleQuestions(env).length;
    const text = [
      running ? 'a session is running now' : 'no session is running',
      last ? `last session ${last.id}: started ${last.startedAt}${last.endedAt ? `, ended ${last.endedAt} (${last.outcome ?? 'done'})` : ''}` : 'no session yet',
      `tickets: ${
        Object.entries(tickets)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ') || 'none'
      }`,
      `open questions: ${openQuestions}`,
      ...Object.entries(phases).map(([name, p]) => `phase ${name}: last ${p.ok ? 'ran' : 'failed'} ${p.at}`),
    ].join('\n');
    return { text, structured: { running, lastSession: last ? { ...last } : null, phases, tickets, openQuestions } };
  },
};

function sessionRunning(lockFile: string): boolean {
  try {
    const holder = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid?: number; host?: string };
    return typeof holder.pid === 'number' && (holder.host === undefined || holder.host === hostname()) && processAlive(holder.pid);
  } catch {
    return false;
  }
}

const briefingGet: McpTool = {
  name: 'briefing_get',
  title: "The scout's briefing",
  description:
    "The latest scout briefing per brand: new commits on main, uncommitted work, worktrees and ticket branches, repos that could not be read. It is what `master scout` (or the session's scout phase) saw last; it does not scout again.",
  input: z.strictObject({ brand: described(z.optional(nonEmpty()), 'only this brand') }),
  output: z.object({
    at: z.nullable(z.string()),
    summary: z.string(),
    briefings: z.array(z.looseObject({ brand: z.string(), name: z.string(), markdown: z.string() })),
  }),
  readOnly: true,
  run(args: { brand?: string }, env) {
    if (args.brand) env.scope.requireBrand(args.brand);
    env.ws.store.refresh();
    const record = env.ws.store.state.phases.scout;
    const result = record?.result as { summary?: string; briefings?: Array<{ brand: string; name: string; markdown: string }> } | undefined;
    if (!record || !Array.isArray(result?.briefings)) {
      return { text: 'no scout has run yet (`master scout` or `master start` runs one)', structured: { at: null, summary: 'no scout yet', briefings: [] } };
    }
    const briefings = result.briefings.filter((b) => env.scope.brandVisible(b.brand) && (!args.brand || b.brand === args.brand));
    const summaryText = env.scope.brand === undefined && !args.brand ? (result.summary ?? '') : `${briefings.length} brand${briefings.length === 1 ? '' : 's'}`;
    return {
      text: [`# Scout ${record.at}: ${summaryText}`, '', ...briefings.map((b) => b.markdown)].join('\n').trimEnd(),
      structured: { at: record.at, summary: summaryText, briefings },
    };
  },
};

/** Every tool of `master mcp`, in the order clients list them. */
export const MCP_TOOLS: readonly McpTool[] = [
  ticketsList,
  ticketGet,
  ticketCreate,
  ticketTransition,
  questionsList,
  questionAnswer,
  wikiSearch,
  wikiRead,
  registryList,
  doctorRun,
  sessionStatus,
  briefingGet,
];
