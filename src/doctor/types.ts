import type { Registry } from '../registry/schema.js';
import type { Store } from '../state/store.js';
import type { Tickets } from '../tickets/index.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { StateFacts } from './facts/state.js';
import type { RepoFacts } from './facts/repos.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** A problem the doctor can name precisely: it files one housekeeping ticket for it, once. */
export interface NamedProblem {
  /** Stable key (`doctor:<check>:<subject>`): at most one open ticket per key. */
  key: string;
  title: string;
  body: string;
  /** The repo the ticket is filed against (default: the registry's first repo). */
  brand?: string;
  repo?: string;
}

/** One named check of the doctor. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  message: string;
  /** What to do about it (empty when it passes). */
  fix: string;
  /** Problems precise enough to file as housekeeping tickets. */
  problems?: NamedProblem[];
}

export interface DoctorReport {
  /** `A` when no check fails (warnings do not count), then B, C, D, F by the number of failures. */
  grade: string;
  /** Checks that did not fail. */
  passed: number;
  total: number;
  checks: CheckResult[];
  /** Housekeeping tickets filed by this run. */
  filed: string[];
  /** What `--fix` repaired. */
  fixed: string[];
}

/** What the doctor examines: a workspace's paths, and its registry and store when the caller has them open. */
export interface DoctorInput {
  paths: WorkspacePaths;
  /** The loaded registry; when absent the doctor loads (and grades) registry.json itself. */
  registry?: Registry;
  store?: Store;
  tickets?: Tickets;
}

/** Facts gathered once and shared by every check (git calls run in parallel). */
export interface DoctorContext {
  paths: WorkspacePaths;
  registry: Registry | null;
  registryError: string | null;
  state: StateFacts;
  repos: RepoFacts[];
  env: NodeJS.ProcessEnv;
  machine: { nodeVersion: string; minFreeBytes: number };
}

/** A group of checks: one module each. */
export type CheckGroup = (context: DoctorContext) => Promise<CheckResult[]> | CheckResult[];

export function pass(id: string, title: string, message: string): CheckResult {
  return { id, title, status: 'pass', message, fix: '' };
}

/** A check that cannot run because the registry is unreadable: shown, but only the registry check fails. */
export function notChecked(id: string, title: string, registryError: string | null): CheckResult {
  return { id, title, status: 'warn', message: `not checked: registry.json is invalid (${registryError ?? 'unreadable'})`, fix: 'fix registry.json first (`master registry validate`)' };
}

/** Grade from the checks: failures only; warnings never lower it. */
export function gradeOf(checks: CheckResult[]): string {
  const failures = checks.filter((c) => c.status === 'fail').length;
  return ['A', 'B', 'C', 'D'][failures] ?? 'F';
}
