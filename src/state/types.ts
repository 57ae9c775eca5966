/** Shapes of the persisted state: what the event log adds up to. */

export const TICKET_STATES = ['triage', 'ready', 'running', 'review', 'merging', 'merged', 'failed', 'rejected', 'blocked', 'cancelled'] as const;
export type TicketState = (typeof TICKET_STATES)[number];

export const TICKET_EVENTS = ['approve', 'dispatch', 'submit', 'fail', 'requeue', 'block', 'unblock', 'pass', 'merge', 'rebuild', 'reject', 'retry', 'cancel', 'reopen'] as const;
export type TicketEventName = (typeof TICKET_EVENTS)[number];

export const TICKET_KINDS = ['agent', 'script', 'housekeeping'] as const;
export type TicketKind = (typeof TICKET_KINDS)[number];
export const PRIORITIES = ['p0', 'p1', 'p2', 'p3'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface HistoryEntry {
  at: string;
  from: TicketState;
  to: TicketState;
  event: TicketEventName;
  by: string;
  note?: string;
}

export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  costUsd: number;
}

export interface TicketRun {
  id: string;
  startedAt: string;
  endedAt?: string;
  worktree: string;
  branch: string;
  baseSha?: string;
  headSha?: string;
  owner: { pid: number; host: string };
  outcome?: 'submitted' | 'failed' | 'requeued' | 'blocked';
  reason?: string;
  /** The run was stopped by a budget: its worktree is kept and the next run continues in it. */
  stoppedBy?: 'budget';
  /** The executor that ran it when not the built-in runtime, and its Claude Code session (resumed after a question). */
  executor?: 'claude-code';
  session?: string;
  usage: Usage;
  transcript: string;
}

export interface CheckEvidence {
  name: string;
  command: string;
  exitCode: number | null;
  durationMs: number;
  outputTail: string;
  timedOut?: boolean;
}

export interface GateEvidence {
  baseSha: string;
  candidateSha: string;
  checks: CheckEvidence[];
  verdict: { verdict: 'pass' | 'fail'; reasons: string[]; mode: 'agent' | 'checks-only' };
  doctor: { grade: string; passed: number; total: number };
  startedAt: string;
  finishedAt: string;
}

export interface Ticket {
  id: string;
  brand: string;
  repo: string;
  title: string;
  body: string;
  acceptance: string[];
  kind: TicketKind;
  run: string[];
  priority: Priority;
  state: TicketState;
  history: HistoryEntry[];
  runs: TicketRun[];
  gate: GateEvidence | null;
  feedback: string[];
  /**
   * Why the ticket waits where it is instead of being worked on (a budget that cannot cover a run, a
   * gate that cannot finish on an unchanged candidate); null or absent when nothing holds it.
   */
  hold?: TicketHold | null;
  /** Identifies the problem a housekeeping ticket was filed for, so it is filed once. */
  problem?: string;
  createdAt: string;
  updatedAt: string;
}

export interface TicketHold {
  /** `doctor`: the gate passed the candidate but the system doctor graded below A, so main did not move. */
  /** `wait`: the gate tried nothing (a dirty checkout of main, no sandbox for the checks, no verifier, a spent budget). */
  kind: 'budget' | 'gate' | 'executor' | 'doctor' | 'wait';
  reason: string;
  at: string;
  /** For a gate hold: the main and branch commits it failed on; either moving lets the gate try again (a doctor hold: the ones it held). */
  mainSha?: string;
  branchSha?: string;
  /** For a gate hold: how many gate runs in a row failed on these commits (the hold applies from the second). */
  failures?: number;
  /** For a gate hold: the checks that ran before the gate stopped, so the operator sees them without a transcript. */
  checks?: CheckEvidence[];
}

/**
 * What may change on a ticket besides its state (its state only changes by
 * transition). Never the gate evidence: that is the ticket machine's context,
 * set by its `pass` and `reject` transitions only.
 */
export type TicketPatch = Partial<Pick<Ticket, 'runs' | 'feedback' | 'title' | 'body' | 'acceptance' | 'priority' | 'hold'>>;

export interface Question {
  id: string;
  kind: 'agent' | 'approval' | 'guard';
  ticket?: string;
  brand?: string;
  text: string;
  askedAt: string;
  askedBy: string;
  answer?: string;
  answeredAt?: string;
  /** For a guard's `ask`: the call (`tool:inputDigest`) an affirmative answer approves for this ticket. */
  approves?: string;
  /** Answers the asker offers; the cockpit numbers them and the operator picks one with its digit. */
  choices?: readonly string[];
}

export interface PhaseRecord {
  phase: string;
  at: string;
  ok: boolean;
  result?: unknown;
}

export interface SessionRecord {
  id: string;
  pid: number;
  startedAt: string;
  endedAt?: string;
  outcome?: string;
  phases: Array<{ phase: string; status: 'ran' | 'skipped' | 'failed'; reason?: string; at: string }>;
}

export interface State {
  version: number;
  /** The last event sequence number this state includes. */
  seq: number;
  counters: { ticket: number; run: number; question: number; session: number };
  tickets: Record<string, Ticket>;
  /** Ticket id → archive month (`YYYY-MM`) for tickets moved out of the hot state. */
  archived: Record<string, string>;
  sessions: SessionRecord[];
  /** The last completed run of each phase: the freshness signals of the cadence. */
  phases: Record<string, PhaseRecord>;
  questions: Record<string, Question>;
  usage: { byBrandDay: Record<string, Usage> };
}

export const STATE_VERSION = 1;

export function emptyState(): State {
  return {
    version: STATE_VERSION,
    seq: 0,
    counters: { ticket: 0, run: 0, question: 0, session: 0 },
    tickets: {},
    archived: {},
    sessions: [],
    phases: {},
    questions: {},
    usage: { byBrandDay: {} },
  };
}

export function zeroUsage(): Usage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: 0 };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    costUsd: Math.round((a.costUsd + b.costUsd) * 1e6) / 1e6,
  };
}
