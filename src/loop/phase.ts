import type { Bus } from '../bus/index.js';
import type { Clock } from '../state/store.js';
import type { Workspace } from '../workspace/open.js';

export const PHASES = ['scout', 'distill', 'interview', 'dispatch', 'merge', 'report'] as const;
export type PhaseName = (typeof PHASES)[number];

/** What a phase gets to do its work: the workspace, the bus, the session and its options. */
export interface PhaseContext {
  ws: Workspace;
  bus: Bus;
  sessionId: string;
  clock: Clock;
  signal: AbortSignal;
  /** Headless: questions are stored for the next interactive session, never waited on. */
  ci: boolean;
  /** Results of the phases that already ran in this session. */
  results: Partial<Record<PhaseName, PhaseOutcome>>;
}

/** Whether a phase should run now, with a reason a person can read. */
export interface Cadence {
  run: boolean;
  reason: string;
}

export interface PhaseOutcome {
  ok: boolean;
  /** One line for the report. */
  summary: string;
  /** Structured result kept in state (the scout's briefing, the dispatch's tickets, ...). */
  result?: unknown;
}

/** A phase of the session loop: `src/loop` runs them in order through `machines/session`. */
export interface Phase {
  name: PhaseName;
  shouldRun(context: PhaseContext): Promise<Cadence> | Cadence;
  run(context: PhaseContext): Promise<PhaseOutcome>;
}
