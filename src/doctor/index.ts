import { errorMessage } from '../errors.js';
import { loadRegistryFile } from '../registry/load.js';
import type { Registry } from '../registry/schema.js';
import { agentChecks } from './checks/agents.js';
import { claudeCodeChecks } from './checks/claudeCode.js';
import { guardChecks } from './checks/guards.js';
import { machineChecks } from './checks/machine.js';
import { registryChecks } from './checks/registry.js';
import { repoChecks } from './checks/repos.js';
import { stateChecks } from './checks/state.js';
import { gatherRepoFacts } from './facts/repos.js';
import { gatherStateFacts } from './facts/state.js';
import { gradeOf, type CheckGroup, type CheckResult, type DoctorContext, type DoctorInput, type DoctorReport } from './types.js';

export type { CheckResult, CheckStatus, DoctorInput, DoctorReport, NamedProblem } from './types.js';
export { gradeOf } from './types.js';

/** The check groups, in the order the report lists them. */
const GROUPS: CheckGroup[] = [registryChecks, repoChecks, stateChecks, guardChecks, agentChecks, claudeCodeChecks, machineChecks];

export interface DoctorOptions {
  /** File a housekeeping ticket for each precisely named problem that has none open. */
  file?: boolean;
  /** Repair what is safe, then check again. */
  fix?: boolean;
  env?: NodeJS.ProcessEnv;
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
  const [repos, state] = await Promise.all([gatherRepoFacts(input.paths.home, registry), Promise.resolve().then(() => gatherStateFacts(input.paths))]);
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

async function runGroups(ctx: DoctorContext): Promise<CheckResult[]> {
  const groups = await Promise.all(
    GROUPS.map(async (group) => {
      try {
        return await group(ctx);
      } catch (error) {
        return [{ id: `doctor.${group.name || 'group'}`, title: 'a group of checks ran', status: 'fail' as const, message: `the check crashed: ${errorMessage(error)}`, fix: 'report this; set MASTER_DEBUG=1 for details' }];
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
  const checks = await runGroups(ctx);
  const report: DoctorReport = {
    grade: gradeOf(checks),
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
