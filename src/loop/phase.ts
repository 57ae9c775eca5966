import type { Bus } from '../bus/index.js';
import type { Clock } from '../state/store.js';
import type { Workspace } from '../workspace/open.js';

import { SESSION_PHASES, type PhaseDecision, type PhaseResult, type SessionPhase } from '../../machines/session.js';

export const PHASES = SESSION_PHASES;
export type PhaseName = SessionPhase;

/** What a phase gets to do its work: the workspace, the bus, the session and its options. */
export interface PhaseContext {
  ws: Workspace;
  bus: Bus;
  sessionId: string;
  /** When the session started (ISO): what happened since is this session's work. */
  startedAt: string;
  clock: Clock;
  signal: AbortSignal;
  /** Headless: questions are stored for the next interactive session, never waited on. */
  ci: boolean;
  /** Results of the phases that already ran in this session. */
  results: Partial<Record<PhaseName, PhaseOutcome>>;
}

/** Whether a phase should run now, with a reason a person can read. */
export type Cadence = PhaseDecision;

/** `summary` is one line for the report; `result` is kept in state (the scout's briefing, ...). */
export type PhaseOutcome = PhaseResult;

/** A phase of the session loop: `src/loop` runs them in order through `machines/session`. */
export interface Phase {
  name: PhaseName;
  shouldRun(context: PhaseContext): Promise<Cadence> | Cadence;
  run(context: PhaseContext): Promise<PhaseOutcome>;
}
