import type { AheadBehind, CommitInfo, DirtyFile, RepoErrorKind } from '../git/index.js';

/** Repo id → the sha its main branch pointed at: the snapshot the next scout compares against. */
export type Heads = Record<string, string>;

/** A repo that could not be scouted, as plain data (kept in state, shown to the operator). */
export interface RepoProblem {
  brand: string;
  repo: string;
  path: string;
  kind: RepoErrorKind;
  message: string;
}

/** A `master/T-<n>` branch of a ticket, compared with main. */
export interface TicketBranch extends AheadBehind {
  branch: string;
  ticket: string;
  head: string;
  /** The worktree that has it checked out, if any. */
  worktree: string | null;
}

export interface WorktreeReport {
  path: string;
  branch: string | null;
  head: string | null;
  /** Its folder is gone; `git worktree prune` would forget it. */
  prunable: boolean;
  locked: boolean;
}

/** What the scout saw in one repo. */
export interface RepoReport {
  brand: string;
  repo: string;
  path: string;
  mainBranch: string;
  head: string;
  previousHead: string | null;
  /** No earlier snapshot: `newCommits` are just the latest few. */
  firstLook: boolean;
  /** Main no longer contains the previous head (history was rewritten). */
  rewritten: boolean;
  /** Newest first. */
  newCommits: CommitInfo[];
  /** More new commits exist than were listed. */
  truncated: boolean;
  dirty: DirtyFile[];
  worktrees: WorktreeReport[];
  ticketBranches: TicketBranch[];
}

/** One brand's briefing: structured, plus a short Markdown rendering. */
export interface BrandBriefing {
  brand: string;
  name: string;
  silo: boolean;
  repos: RepoReport[];
  errors: RepoProblem[];
  markdown: string;
}

/** The scout phase's result, stored as its run in state. */
export interface ScoutResult {
  briefings: BrandBriefing[];
  /** The next snapshot; repos that errored are left out, so a repaired repo counts as moved. */
  heads: Heads;
  errors: RepoProblem[];
  tracked: number;
  summary: string;
}

/** The cheap "did anything move?" answer. */
export interface MovedCheck {
  tracked: number;
  /** Repos whose main head differs from the snapshot, or that have no snapshot yet. */
  moved: string[];
  /** Repos that were fine at the last scout and now cannot be read. */
  broke: string[];
  errors: RepoProblem[];
  heads: Heads;
}
