import { errorMessage } from '../errors.js';
import { loadRegistryFile } from '../registry/load.js';
import type { Registry } from '../registry/schema.js';
import { agentChecks } from './checks/agents.js';
import { claudeSettingsChecks } from './checks/claudeSettings.js';
import { claudeCodeChecks } from './checks/claudeCode.js';
import { guardChecks } from './checks/guards.js';
import { machineChecks } from './checks/machine.js';
import { registryChecks } from './checks/registry.js';
import { repoChecks } from './checks/repos.js';
import { stateChecks } from './checks/state.js';
import { storeChecks } from './checks/store.js';
import { wikiChecks } from './checks/wiki.js';
import { behindMain, earlierMains } from '../git/followMain.js';
import { gatherRepoFacts, type RepoFacts } from './facts/repos.js';
import { gatherStateFacts, type StateFacts } from './facts/state.js';
import { gradeOf, type CheckGroup, type CheckResult, type DoctorContext, type DoctorInput, type DoctorReport } from './types.js';

export type { CheckResult, CheckStatus, DoctorInput, DoctorReport, NamedProblem } from './types.js';
export { gradeOf } from './types.js';

/** The check groups, in the order the report lists them. */
const GROUPS: CheckGroup[] = [registryChecks, repoChecks, stateChecks, storeChecks, guardChecks, claudeSettingsChecks, agentChecks, claudeCodeChecks, wikiChecks, machineChecks];

export interface DoctorOptions {
  /** File a housekeeping ticket for each precisely named problem that has none open. */
  file?: boolean;
  /** Repair what is safe, then check again. */
  fix?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Verify the whole event log and compare the snapshot ticket by ticket, not only what came after the last verified point. */
  full?: boolean;
  /** Machine facts to assume instead of this machine's (tests). */
  machine?: Partial<DoctorContext['machine']>;
}

async function gather(input: DoctorInput, options: DoctorOptions): Promise<DoctorContext> {
  let registry: Registry | null = input.registry ?? null;
  let registryError: string | null = null;
  if (!registry) {
    try {
      registry = loadRegistryFile(input.paths.registry);
    } catch (error) {
      registryError = errorMessage(error);
    }
  }
  const full = options.full ?? options.fix ?? false;
  const [repos, gathered] = await Promise.all([gatherRepoFacts(input.paths.home, registry), gatherStateFacts(input.paths, { full, ...(input.store ? { store: input.store } : {}) })]);
  // The state was read before git answered. The gate ends a ticket (merge, cancel) in the log first and
  // deletes its branch after, so a ticket that looks in flight without its branch may have ended in between:
  // read the state again, now after git, and the two agree (a branch the gate deleted has its ticket closed).
  const state = inFlightWithoutBranch(repos, gathered) ? await gatherStateFacts(input.paths, { full, ...(input.store ? { store: input.store } : {}) }) : gathered;
  await markBehindCheckouts(repos, state);
  return {
    paths: input.paths,
    registry,
    registryError,
    repos,
    state,
    env: options.env ?? process.env,
    machine: { nodeVersion: process.versions.node, minFreeBytes: 1024 ** 3, ...options.machine },
  };
}

function inFlightWithoutBranch(repos: RepoFacts[], state: StateFacts): boolean {
  const byId = new Map(repos.map((r) => [r.repo.id, r]));
  return state.hot
    .where((t) => t.state === 'review' || t.state === 'merging')
    .some((t) => {
      const repo = byId.get(t.repo);
      const branch = t.runs.at(-1)?.branch ?? `master/${t.id}`;
      return repo !== undefined && !repo.problem && !repo.ticketBranches.some((b) => b.name === branch);
    });
}

/** A primary checkout of main with changes: are they only an earlier main (a swap the checkout missed)? */
async function markBehindCheckouts(repos: RepoFacts[], state: StateFacts): Promise<void> {
  await Promise.all(
    repos.map(async (r) => {
      if (!r.primary || !r.mainSha || r.primary.branch !== r.repo.mainBranch || r.primary.dirty.length === 0) return;
      const earlier = await earlierMains(
        r.path,
        r.repo.mainBranch,
        r.mainSha,
        state.hot.where((t) => t.repo === r.repo.id),
        r.repo.id,
      );
      const from = await behindMain(r.path, r.mainSha, earlier);
      r.primary.behind = from ? { from, to: r.mainSha } : null;
    }),
  );
}

async function runGroups(ctx: DoctorContext): Promise<CheckResult[]> {
  const groups = await Promise.all(
    GROUPS.map(async (group) => {
      try {
        return await group(ctx);
      } catch (error) {
        return [
          {
            id: `doctor.${group.name || 'group'}`,
            title: 'a group of checks ran',
            status: 'fail' as const,
            message: `the check crashed: ${errorMessage(error)}`,
            fix: 'report this; set MASTER_DEBUG=1 for details',
          },
        ];
      }
    }),
  );
  return groups.flat();
}

/**
 * Runs every check of the system doctor: no network, git calls in parallel.
 * With `fix`, repairs what is safe first; with `file`, files housekeeping
 * tickets for named problems (one open ticket per problem).
 */
export async function runDoctor(input: DoctorInput, options: DoctorOptions = {}): Promise<DoctorReport> {
  let ctx = await gather(input, options);
  let fixed: string[] = [];
  if (options.fix) {
    const { applyFixes } = await import('./fix.js');
    fixed = await applyFixes(ctx);
    if (fixed.length > 0) ctx = await gather(input, options);
  }
  // Without a usable registry nothing else can be judged: one failing check and grade F, not a B that
  // repeats "not checked: registry.json is invalid" under every other check.
  const checks = ctx.registry ? await runGroups(ctx) : (await registryChecks(ctx)).filter((c) => c.status === 'fail');
  const report: DoctorReport = {
    grade: ctx.registry ? gradeOf(checks) : 'F',
    passed: checks.filter((c) => c.status !== 'fail').length,
    total: checks.length,
    checks,
    filed: [],
    fixed,
  };
  const problems = checks.flatMap((c) => (c.status === 'fail' ? (c.problems ?? []) : []));
  const stateReadable = ctx.state.snapshot.ok || ctx.state.snapshot.missing;
  if (options.file && ctx.registry && problems.length > 0 && stateReadable) {
    const usable = ctx.repos.filter((r) => !r.problem).map((r) => r.repo.id);
    const { fileHousekeeping } = await import('./housekeeping.js');
    const filing = await fileHousekeeping({ ...input, registry: ctx.registry }, problems, usable);
    report.filed = filing.filed;
  }
  return report;
}

/** `{grade, passed, total, checks}` as `master doctor --json` prints it. */
export function reportJson(report: DoctorReport): Record<string, unknown> {
  return {
    grade: report.grade,
    passed: report.passed,
    total: report.total,
    checks: report.checks.map(({ id, title, status, message, fix }) => ({ id, title, status, message, fix })),
    ...(report.filed.length ? { filed: report.filed } : {}),
    ...(report.fixed.length ? { fixed: report.fixed } : {}),
  };
}
