import { createActor, fromPromise, toPromise } from 'xstate';
import { sessionMachine, type PhaseDecision, type PhaseResult, type SessionPhase } from '../../machines/session.js';
import { Bus } from '../bus/index.js';
import { BusyError } from '../errors.js';
import { FileLock } from '../state/lock.js';
import type { Clock } from '../state/store.js';
import type { Workspace } from '../workspace/open.js';
import type { Phase, PhaseContext, PhaseOutcome } from './phase.js';

export interface SessionOptions {
  ci: boolean;
  only?: SessionPhase;
  force?: SessionPhase[];
  phases: Phase[];
  bus?: Bus;
  clock?: Clock;
  signal?: AbortSignal;
  /** Work before the phases, with the session lock held (crash recovery, archiving). */
  prepare?: (context: PhaseContext) => Promise<void> | void;
}

export interface SessionSummary {
  sessionId: string;
  outcome: 'ok' | 'failed';
  failures: Array<{ phase: SessionPhase; error: string }>;
  outcomes: Partial<Record<SessionPhase, 'ran' | 'skipped' | 'failed'>>;
  results: Partial<Record<SessionPhase, PhaseOutcome>>;
}

/** Takes the workspace's session lock: one session loop per workspace; a dead holder's lock is taken over. */
export function acquireSessionLock(ws: Workspace): FileLock {
  const lock = new FileLock(ws.paths.sessionLock, 'session');
  const result = lock.tryAcquire();
  if (!result.ok) {
    const holder = result.holder;
    throw new BusyError(
      holder
        ? `another session is running in this workspace (pid ${holder.pid} on ${holder.host}, since ${holder.at}); wait for it to finish or stop that process`
        : `another session is starting in this workspace (${ws.paths.sessionLock}); try again in a moment`,
    );
  }
  // A session can run for long: renew its lease so another host does not take it for stale.
  lock.keepAlive();
  return lock;
}

/**
 * Runs one session: the session machine decides the order and the skips, the
 * phases do the work, and every step is committed to the event log (and so
 * published on the bus).
 */
export async function runSession(ws: Workspace, options: SessionOptions): Promise<SessionSummary> {
  const lock = acquireSessionLock(ws);
  const bus = options.bus ?? new Bus(options.clock);
  ws.store.attachBus(bus);
  const clock = options.clock ?? ws.store.clock;
  const signal = options.signal ?? new AbortController().signal;
  try {
    const sessionId = ws.store.commit((state) => {
      const id = `S-${state.counters.session + 1}`;
      return { events: [{ type: 'session.start', session: id, pid: process.pid }], result: id };
    });
    const results: Partial<Record<SessionPhase, PhaseOutcome>> = {};
    const context: PhaseContext = {
      ws,
      bus,
      sessionId,
      startedAt: ws.store.state.sessions.at(-1)?.startedAt ?? clock().toISOString(),
      clock,
      signal,
      ci: options.ci,
      results,
    };
    await options.prepare?.(context);
    const byName = new Map(options.phases.map((p) => [p.name, p]));
    const phaseOf = (name: SessionPhase): Phase => {
      const phase = byName.get(name);
      if (!phase) throw new Error(`no phase "${name}" is configured`);
      return phase;
    };
    const commit = (payload: Parameters<typeof ws.store.record>[0]) => ws.store.record(payload);

    const machine = sessionMachine.provide({
      actors: {
        decide: fromPromise<PhaseDecision, { phase: SessionPhase }>(async ({ input }) => {
          ws.store.refresh();
          return phaseOf(input.phase).shouldRun(context);
        }),
        work: fromPromise<PhaseResult, { phase: SessionPhase }>(async ({ input }) => {
          const outcome = await phaseOf(input.phase).run(context);
          results[input.phase] = outcome;
          return outcome;
        }),
      },
      actions: {
        announceSessionStart: () => {},
        announceSkip: (_, { phase, reason }) => commit({ type: 'phase.skip', session: sessionId, phase, reason }),
        announceStart: (_, { phase, reason }) => commit({ type: 'phase.start', session: sessionId, phase, reason }),
        announceEnd: (_, { phase, result }) =>
          commit({
            type: 'phase.end',
            session: sessionId,
            phase,
            ok: result.ok,
            reason: result.summary,
            ...(result.result !== undefined ? { result: result.result } : {}),
          }),
        announceFailure: (_, { phase, error }) => commit({ type: 'phase.end', session: sessionId, phase, ok: false, reason: `${phase} could not complete: ${error}` }),
        announceSessionEnd: (_, { outcome }) => commit({ type: 'session.end', session: sessionId, outcome }),
      },
    });
    const actor = createActor(machine, {
      input: { ...(options.only ? { only: options.only } : {}), force: options.force ?? [] },
    });
    actor.start();
    await toPromise(actor);
    const snapshot = actor.getSnapshot();
    return {
      sessionId,
      outcome: snapshot.context.failures.length ? 'failed' : 'ok',
      failures: snapshot.context.failures,
      outcomes: snapshot.context.outcomes,
      results,
    };
  } finally {
    lock.release();
    await ws.store.close();
  }
}
