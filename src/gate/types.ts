import type { Bus } from '../bus/index.js';
import type { Brand, Repo } from '../registry/schema.js';
import type { CheckEvidence, Ticket } from '../state/types.js';

/** What the verifier reads: the ticket, the candidate and its diff, and the check results. */
export interface VerifierInput {
  ticket: Ticket;
  brand: Brand;
  repo: Repo;
  /** The gate worktree holding the candidate (the verifier may read files there, never write). */
  worktree: string;
  baseSha: string;
  candidateSha: string;
  diff: string;
  checks: CheckEvidence[];
  signal: AbortSignal;
}

/** A structured verdict (from the verifier's Verdict tool, never parsed from free text). */
export interface VerifierVerdict {
  verdict: 'pass' | 'fail';
  reasons: string[];
}

/** The verifier agent, or a stand-in with the same contract. */
export type Verifier = (input: VerifierInput) => Promise<VerifierVerdict>;

/** The doctor's grade as the gate needs it. */
export interface DoctorGrade {
  grade: string;
  passed: number;
  total: number;
  /** Titles and messages of the failing checks (why a grade below A holds the merge). */
  failing: string[];
}

export interface GateOptions {
  bus?: Bus;
  signal?: AbortSignal;
  /** The verifier for repos with `gate.verifier: "agent"`; without one such tickets wait in review. */
  verifier?: Verifier;
  /** Grades the workspace (default: the system doctor). */
  doctor?: () => Promise<DoctorGrade>;
  /** Candidate rebuilds when main moves meanwhile, before the ticket waits for the next session. */
  maxAttempts?: number;
  /** Repo queues that run at once (default: the registry's dispatch concurrency). */
  concurrency?: number;
  /** Only these tickets (default: every ticket in review or merging). */
  only?: string[];
}

/** `dropped`: another process moved the ticket (a cancel) while the gate had it; main was not moved for it. */
export type GateResult = 'merged' | 'rejected' | 'waiting' | 'dropped';

/** What the gate did with one ticket, with a reason a person can read. */
export interface GateOutcome {
  ticket: string;
  repo: string;
  result: GateResult;
  reason: string;
  /** Where main points after a merge. */
  mainSha?: string;
  attempts: number;
  /** The gate itself failed on this ticket (an internal error, not a verdict): the phase could not complete. */
  crashed?: boolean;
}

export type GateStepName = 'queue' | 'candidate' | 'check' | 'verifier' | 'doctor' | 'pass' | 'merge' | 'checkout' | 'cleanup';
/** `intent`: logged right before the swap of main, with the checkouts (all clean) that are to follow it. */
export type GateStepStatus = 'start' | 'pass' | 'fail' | 'wait' | 'moved' | 'done' | 'intent' | 'drop';
