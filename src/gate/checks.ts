import { describeOutcome, spawnBash } from '../agents/tools/spawnBash.js';
import type { Registry, Repo } from '../registry/schema.js';
import type { CheckEvidence, Ticket } from '../state/types.js';
import type { WorkspacePaths } from '../workspace/paths.js';

/** The output a check keeps as evidence: its last characters, where test runners print the summary. */
export const OUTPUT_TAIL = 4000;
const CHECK_ORDER = ['test', 'lint', 'typecheck'] as const;

/** The repo's configured checks, in the order the gate runs them. */
export function configuredChecks(repo: Repo): Array<{ name: string; command: string }> {
  const out: Array<{ name: string; command: string }> = [];
  for (const name of CHECK_ORDER) {
    const command = repo.checks[name];
    if (command) out.push({ name, command });
  }
  return out;
}

export interface CheckRunContext {
  paths: WorkspacePaths;
  registry: Registry;
  brand: string;
  repo: Repo;
  ticket: Ticket;
  worktree: string;
  signal?: AbortSignal;
}

/**
 * Runs one check in the candidate's worktree with the repo's timeout, through
 * the same process runner as agent commands (own process group, model
 * credentials stripped from the environment, the OS sandbox of a silo).
 */
export async function runCheck(check: { name: string; command: string }, context: CheckRunContext): Promise<CheckEvidence> {
  // A check runs agent-written code: the OS sandbox must wrap it even where no dispatcher ever ran (`--only merge`).
  const timeoutMs = context.repo.checks.timeoutSeconds * 1000;
  const outcome = await spawnBash(
    {
      paths: context.paths,
      registry: context.registry,
      root: context.worktree,
      cwd: context.worktree,
      brand: context.brand,
      repo: context.repo.id,
      ticket: context.ticket,
      agent: 'gate',
      sessionId: 'gate',
      ...(context.signal ? { signal: context.signal } : {}),
    },
    check.command,
    timeoutMs,
  );
  let tail = outcome.output.length > OUTPUT_TAIL ? `…${outcome.output.slice(-OUTPUT_TAIL)}` : outcome.output;
  if (outcome.exitCode !== 0 || outcome.timedOut) tail = `${tail.trimEnd()}\n(${check.name} ${describeOutcome(outcome, timeoutMs)})`;
  return {
    name: check.name,
    command: check.command,
    exitCode: outcome.timedOut || outcome.killed ? null : outcome.exitCode,
    durationMs: outcome.durationMs,
    outputTail: tail,
    ...(outcome.timedOut ? { timedOut: true } : {}),
  };
}

/** Whether a check passed: exit 0, in time. */
export function checkPassed(check: CheckEvidence): boolean {
  return check.exitCode === 0 && !check.timedOut;
}
