import pLimit, { type LimitFunction } from 'p-limit';
import type { Bus } from '../bus/index.js';
import { errorMessage } from '../errors.js';
import type { TicketSummary } from '../state/ticketTable.js';
import type { Ticket } from '../state/types.js';
import { byPriority } from '../tickets/index.js';
import type { Workspace } from '../workspace/open.js';
import { sandboxReadiness } from '../sandbox/index.js';
import { toolChainFor } from './confinement.js';
import { resolveContracts } from './contracts.js';
import { runTicket, type ExecutorDeps, type TicketRunOutcome } from './executor.js';
import { modelAvailability, openModel, type ModelEndpoint, type OpenModelOptions } from './model.js';
import type { RetryPolicy } from './modelCall.js';
import { unblockAnswered } from '../questions/index.js';
import { recoverRuns, sweepWorktrees } from './recovery.js';
import type { ToolChain } from '../guards/types.js';
import { BudgetBook, hasBudgets } from '../budget/index.js';
import { executorFor } from './claudeCode/select.js';
import { locateClaude, type ClaudeLocation } from './claudeCode/locate.js';

export interface DispatchOptions {
  ws: Workspace;
  bus: Bus;
  sessionId: string;
  signal?: AbortSignal;
  /** A model to use instead of opening the registry's (tests, benchmarks); null runs no agent ticket. */
  model?: ModelEndpoint | null;
  modelOptions?: OpenModelOptions;
  env?: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
  chain?: ToolChain;
}

export interface DispatchReport {
  runs: TicketRunOutcome[];
  /** Tickets put back to `ready` because their run's owner died. */
  recovered: string[];
  /** Worktrees removed because nothing needs them. */
  swept: string[];
  /** Tickets unblocked because their question was answered. */
  unblocked: string[];
  /** Why agent tickets were left `ready`, said once. */
  waiting: string | null;
  /** Brands whose agent tickets a daily budget held back, with why. */
  budget: Record<string, string>;
  /** Said when the operator turned the OS sandbox off: commands ran unconfined. */
  sandboxOff: string | null;
  /** The most runs at once, in total and per brand. */
  maxRunning: { total: number; byBrand: Record<string, number> };
  durationMs: number;
}

const AGENT_KINDS = new Set(['agent', 'housekeeping']);
/** Tickets that start processes: without an OS sandbox (and the operator's "off") none of them runs. */
const COMMAND_KINDS = new Set(['agent', 'housekeeping', 'script']);

/**
 * Drains the ready queue: recovers runs whose owner died, then runs ready
 * tickets with a global concurrency limit and lanes per brand (brands side
 * by side, a brand's tickets in priority order, each ticket at most once per
 * call), and returns when nothing is ready or running.
 */
export async function dispatch(options: DispatchOptions): Promise<DispatchReport> {
  const started = Date.now();
  const { ws, bus } = options;
  const signal = options.signal ?? new AbortController().signal;
  const recovered = recoverRuns(ws);
  const swept = await sweepWorktrees(ws);
  const unblocked = unblockAnswered(ws);
  for (const id of recovered) bus.publish({ type: 'dispatch.recovered', ticket: id });

  const contracts = resolveContracts(ws.registry);
  const chain = options.chain ?? toolChainFor(ws);
  // Summaries: an idle workspace may hold 50,000 ready tickets that no model can run; a ticket is read whole when it runs or holds.
  let ready: { seq: number; tickets: TicketSummary[] } | null = null;
  const readyNow = (): readonly TicketSummary[] => {
    // Asked several times a pass: walked again only when the state moved (every change raises its sequence).
    if (ready?.seq !== ws.store.state.seq) ready = { seq: ws.store.state.seq, tickets: ws.store.ticketSummaries().filter((t) => t.state === 'ready') };
    return ready.tickets;
  };
  const whole = (t: TicketSummary): Ticket | undefined => ws.store.state.tickets[t.id];
  let waiting: string | null = null;
  let model: ModelEndpoint | null = options.model ?? null;
  let ownModel = false;
  // No sandbox, no agents: where the OS sandbox cannot run, command tickets stay ready (unless the operator said "off").
  const sandbox = sandboxReadiness(ws.registry);
  const commandsAllowed = sandbox.ok;
  if (!sandbox.ok) waiting = sandbox.reason;
  else if (!sandbox.sandboxed) bus.publish({ type: 'dispatch.sandbox', summary: sandbox.label });
  if (commandsAllowed && options.model === undefined && readyNow().some((t) => AGENT_KINDS.has(t.kind))) {
    const availability = modelAvailability(ws.registry, options.env ?? process.env);
    if (availability.ok) {
      try {
        model = await openModel(ws.registry, ws.paths.home, { ...options.modelOptions, ...(options.env ? { env: options.env } : {}) });
        ownModel = true;
      } catch (error) {
        waiting = `the model could not be opened: ${errorMessage(error)}`;
      }
    } else waiting = availability.reason;
  }
  if (model) bus.publish({ type: 'dispatch.model', via: model.label, provider: model.provider });

  const book = new BudgetBook(ws);
  const deps: ExecutorDeps = {
    ws,
    bus,
    sessionId: options.sessionId,
    contracts,
    chain,
    model,
    signal,
    budget: book,
    env: options.env ?? process.env,
    ...(options.retry ? { retry: options.retry } : {}),
  };
  const global = pLimit(ws.registry.dispatch.concurrency);
  const lanes = new Map<string, LimitFunction>();
  for (const brand of ws.registry.brands) lanes.set(brand.id, pLimit(brand.lanes ?? ws.registry.dispatch.lanesPerBrand));
  const claimed = new Set<string>();
  const queued = new Map<string, number>();
  const running = { total: 0, byBrand: new Map<string, number>() };
  const maxRunning = { total: 0, byBrand: {} as Record<string, number> };
  const runs: TicketRunOutcome[] = [];
  const inFlight = new Set<Promise<void>>();
  let agentsAllowed = model !== null;

  // A run its brand's or the workspace's daily budget cannot cover is not started; the ticket says why.
  const budgeted = hasBudgets(ws.registry);
  const budgetWaits = new Map<string, string>();
  const budgetAllows = (ticket: TicketSummary): boolean => {
    if (!budgeted || !AGENT_KINDS.has(ticket.kind)) return true;
    const reason = book.refusal(ticket.brand);
    if (!reason) return true;
    if (whole(ticket)?.hold?.reason !== reason) ws.tickets.update(ticket.id, () => ({ hold: { kind: 'budget', reason, at: ws.store.now() } }));
    if (budgetWaits.get(ticket.brand) !== reason) {
      budgetWaits.set(ticket.brand, reason);
      bus.publish({ type: 'dispatch.waiting', reason });
    }
    return false;
  };
  // Tickets whose contract runs through Claude Code need the operator's `claude`, not the API model.
  let claude: ClaudeLocation | null = null;
  const viaClaudeCode = (ticket: TicketSummary) => executorFor(ws.registry, ticket.brand, ticket.kind === 'housekeeping' ? 'housekeeper' : 'executor') === 'claude-code';
  const claudeAllows = (ticket: TicketSummary): boolean => {
    claude ??= locateClaude(ws.registry, options.env ?? process.env);
    if (claude.ok) {
      deps.claudePath = claude.path;
      return true;
    }
    if (whole(ticket)?.hold?.reason !== claude.reason) ws.tickets.update(ticket.id, () => ({ hold: { kind: 'executor', reason: claude!.ok ? '' : claude!.reason, at: ws.store.now() } }));
    say(claude.reason);
    return false;
  };
  const dispatchable = (ticket: TicketSummary) =>
    ticket.state === 'ready' &&
    !claimed.has(ticket.id) &&
    lanes.has(ticket.brand) &&
    (!COMMAND_KINDS.has(ticket.kind) || commandsAllowed) &&
    (ticket.kind === 'script' || (viaClaudeCode(ticket) ? claudeAllows(ticket) : agentsAllowed)) &&
    budgetAllows(ticket);

  // A ticket moved by someone else while it runs (cancel, block, requeue by the operator) stops its run.
  const stoppers = new Map<string, AbortController>();
  // A ticket that becomes ready while others run (approved, or its question answered) is taken at once.
  let wake: () => void = () => {};
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  const unsubscribe = bus.subscribe((event) => {
    if ((event.type === 'ticket.transition' && event.to === 'ready') || event.type === 'ticket.created') {
      // Each ticket runs once per call, unless the operator sends it back (its question answered, unblocked, retried).
      if (event.type === 'ticket.transition' && event.by !== 'dispatcher' && !stoppers.has(String(event.id))) claimed.delete(String(event.id));
      wake();
    }
    if (event.type !== 'ticket.transition' || event.by === 'dispatcher') return;
    stoppers.get(String(event.id))?.abort(`stopped: ${String(event.by)} moved it to ${String(event.to)}`);
  });
  // Moves made by other processes (the CLI) reach the bus when the store catches up with the log.
  const watch = setInterval(() => {
    if (stoppers.size > 0) ws.store.refresh();
  }, 1000);
  watch.unref();

  const say = (reason: string) => {
    if (waiting === reason) return;
    waiting = reason;
    bus.publish({ type: 'dispatch.waiting', reason });
  };
  if (waiting && readyNow().some((t) => (commandsAllowed ? AGENT_KINDS : COMMAND_KINDS).has(t.kind))) bus.publish({ type: 'dispatch.waiting', reason: waiting });

  const job = (brand: string) => async () => {
    queued.set(brand, (queued.get(brand) ?? 0) - 1);
    if (signal.aborted) return;
    // The pick happens when a lane frees, so a ticket that became more urgent meanwhile goes first.
    const next = readyNow()
      .filter((t) => t.brand === brand && dispatchable(t))
      .sort(byPriority)[0];
    if (!next) return;
    claimed.add(next.id);
    running.total++;
    running.byBrand.set(brand, (running.byBrand.get(brand) ?? 0) + 1);
    maxRunning.total = Math.max(maxRunning.total, running.total);
    maxRunning.byBrand[brand] = Math.max(maxRunning.byBrand[brand] ?? 0, running.byBrand.get(brand)!);
    const stopper = new AbortController();
    const stopAll = () => stopper.abort(typeof signal.reason === 'string' ? signal.reason : 'the run was stopped');
    signal.addEventListener('abort', stopAll, { once: true });
    stoppers.set(next.id, stopper);
    try {
      const outcome = await runTicket({ ...deps, signal: stopper.signal }, next.id);
      runs.push(outcome);
      if (outcome.rejectedKey) {
        agentsAllowed = false;
        say(outcome.reason ?? 'the model rejected the key');
      }
    } catch (error) {
      runs.push({ ticket: next.id, brand, outcome: 'failed', reason: `dispatch error: ${errorMessage(error)}`, commandMs: 0, totalMs: 0 });
    } finally {
      stoppers.delete(next.id);
      signal.removeEventListener('abort', stopAll);
      running.total--;
      running.byBrand.set(brand, running.byBrand.get(brand)! - 1);
    }
  };

  try {
    for (;;) {
      if (!signal.aborted) {
        const ready = readyNow().filter(dispatchable);
        for (const brand of ws.registry.brands) {
          const want = ready.filter((t) => t.brand === brand.id).length - (queued.get(brand.id) ?? 0);
          for (let i = 0; i < want; i++) {
            queued.set(brand.id, (queued.get(brand.id) ?? 0) + 1);
            const task: Promise<void> = lanes.get(brand.id)!(() => global(job(brand.id))).finally(() => inFlight.delete(task));
            inFlight.add(task);
          }
        }
      }
      if (inFlight.size === 0) break;
      await Promise.race([...inFlight, woken()]);
    }
  } finally {
    clearInterval(watch);
    unsubscribe();
    if (ownModel && model) await model.close();
  }
  // Worktrees of tickets cancelled during this dispatch go now, not a session later.
  swept.push(...(await sweepWorktrees(ws)));
  const leftAgents = readyNow().filter((t) => (commandsAllowed ? AGENT_KINDS : COMMAND_KINDS).has(t.kind)).length;
  const budgetHeld = Object.fromEntries([...budgetWaits].filter(([brand]) => readyNow().some((t) => t.brand === brand && AGENT_KINDS.has(t.kind))));
  const waitingWhy = [leftAgents > 0 ? waiting : null, ...Object.values(budgetHeld)].filter((w): w is string => !!w);
  return {
    runs,
    recovered,
    swept,
    unblocked,
    waiting: waitingWhy.length ? [...new Set(waitingWhy)].join('; ') : null,
    budget: budgetHeld,
    sandboxOff: sandbox.ok && !sandbox.sandboxed ? sandbox.label : null,
    maxRunning,
    durationMs: Date.now() - started,
  };
}

/** One line for the report: what the dispatch did and what waits. */
export function summarizeDispatch(report: DispatchReport): string {
  const count = (kind: string) => report.runs.filter((r) => r.outcome === kind).length;
  const parts: string[] = [];
  if (report.runs.length === 0) parts.push('nothing was ready');
  else {
    const done = [
      [count('submitted'), 'to review'],
      [count('failed'), 'failed'],
      [count('blocked'), 'blocked on a question'],
      [count('requeued'), 'back to ready'],
    ] as const;
    parts.push(
      `ran ${report.runs.length} ticket${report.runs.length === 1 ? '' : 's'}: ${
        done
          .filter(([n]) => n > 0)
          .map(([n, what]) => `${n} ${what}`)
          .join(', ') || 'none finished'
      }`,
    );
  }
  if (report.recovered.length) parts.push(`recovered ${report.recovered.length} from a crash`);
  if (report.waiting) parts.push(`agent tickets wait: ${report.waiting}`);
  if (report.sandboxOff) parts.push(report.sandboxOff);
  return parts.join('; ');
}
