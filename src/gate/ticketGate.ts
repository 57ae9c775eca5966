import { errorMessage } from '../errors.js';
import {
  branchSha,
  buildCandidate,
  candidateDiff,
  checkoutsOf,
  compareAndSwapBranch,
  fastForwardCheckout,
  removeTicketWork,
  uncommitted,
  type CandidateBuild,
} from '../git/gate.js';
import type { GitRepo } from '../git/repo.js';
import type { Brand, Repo } from '../registry/schema.js';
import { TransitionError } from '../tickets/index.js';
import type { CheckEvidence, GateEvidence, Ticket } from '../state/types.js';
import type { Workspace } from '../workspace/open.js';
import { checkPassed, configuredChecks, runCheck } from './checks.js';
import { modelAvailability } from '../agents/availability.js';
import { sandboxReadiness } from '../sandbox/index.js';
import { inspectCandidate } from '../git/inspect.js';
import { gateWorktreePath } from './paths.js';
import { BudgetBook } from '../budget/index.js';
import { gateHoldReason, recordGateStall } from './stall.js';
import type { DoctorGrade, GateOptions, GateOutcome, GateStepName, GateStepStatus, VerifierVerdict } from './types.js';

/** Everything one repo's queue knows while it gates a ticket. */
export interface RepoQueueContext {
  ws: Workspace;
  brand: Brand;
  repo: Repo;
  git: GitRepo;
  options: GateOptions;
  signal: AbortSignal;
  doctor: () => Promise<DoctorGrade>;
}

const DEFAULT_ATTEMPTS = 3;
const FEEDBACK_TAIL = 3000;

type Moved = { moved: true; from: string; to: string | null };

/** The branch and worktree of a ticket's latest run (the executor's conventions when there is none). */
function ticketWork(ws: Workspace, repo: Repo, ticket: Ticket): { branch: string; worktree: string | null } {
  const run = ticket.runs[ticket.runs.length - 1];
  return {
    branch: run?.branch ?? `master/${ticket.id}`,
    worktree: run?.worktree ?? null,
  };
}

function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 10) : '(none)';
}

function tail(text: string, max = FEEDBACK_TAIL): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/**
 * Gates one ticket: candidate, checks, verifier, doctor, `pass`, the
 * compare-and-swap of main, `merge`, cleanup. Every step is a `gate.step`
 * event in the log (and so on the bus). Main moves only to the candidate
 * that was checked, and only from the base it was built on.
 */
export async function gateTicket(ctx: RepoQueueContext, ticketId: string): Promise<GateOutcome> {
  const { ws, repo } = ctx;
  const maxAttempts = ctx.options.maxAttempts ?? DEFAULT_ATTEMPTS;
  const worktree = gateWorktreePath(ws.paths, repo.id);
  const outcome = (result: GateOutcome['result'], reason: string, attempts: number, mainSha?: string): GateOutcome => ({
    ticket: ticketId,
    repo: repo.id,
    result,
    reason,
    attempts,
    ...(mainSha ? { mainSha } : {}),
  });
  // Outcomes go to the log (and through it to the bus); a step's start only to the bus, for the live status.
  const step = (name: GateStepName, status: GateStepStatus, extra: Record<string, unknown> = {}) => {
    const event = { type: 'gate.step', ticket: ticketId, repo: repo.id, step: name, status, ...extra } as const;
    if (status === 'start') ctx.options.bus?.publish(event);
    else ws.store.record(event);
  };

  let ticket = ws.tickets.get(ticketId);
  if (ticket.state === 'merging') {
    const resumed = await resumeMerging(ctx, ticket, step);
    if (resumed.kind === 'done') return outcome(resumed.result, resumed.reason, 0, resumed.mainSha);
    ticket = ws.tickets.get(ticketId);
  }
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (ctx.signal.aborted) return outcome('waiting', 'the session was stopped', attempt - 1);
    const hold = await holdReason(ctx, ticket);
    if (hold) {
      step('queue', 'wait', { reason: hold });
      return outcome('waiting', hold, attempt - 1);
    }
    const result = await attemptOnce(ctx, ticket, worktree, attempt, step);
    if (!('moved' in result)) return outcome(result.result, result.reason, attempt, result.mainSha);
    ticket = ws.tickets.get(ticketId);
  }
  const reason = `main moved during each of ${maxAttempts} attempts; ${ticketId} waits in review for the next merge run`;
  step('queue', 'wait', { reason });
  return outcome('waiting', reason, maxAttempts);
}

type Step = (name: GateStepName, status: GateStepStatus, extra?: Record<string, unknown>) => void;
type Done = { result: GateOutcome['result']; reason: string; mainSha?: string };

/** Why a ticket must wait without anything being tried, or null. */
async function holdReason(ctx: RepoQueueContext, ticket: Ticket): Promise<string | null> {
  const dirty = await dirtyMainCheckouts(ctx);
  if (dirty) return dirty;
  // The checks run the ticket's code: without the OS sandbox (and no operator "off") they wait rather than run or fail.
  if (configuredChecks(ctx.repo).length > 0) {
    const sandbox = sandboxReadiness(ctx.ws.registry);
    if (!sandbox.ok) return `${ticket.id} waits in review: its checks cannot run (${sandbox.reason})`;
  }
  if (ctx.repo.gate.verifier === 'agent') {
    const model = modelAvailability(ctx.ws.registry);
    if (!model.ok) {
      return `${ticket.id} waits in review: the verifier agent cannot run (${model.reason}), or set "gate": {"verifier": "checks-only"} on repo ${ctx.repo.id}`;
    }
    if (!ctx.options.verifier) return `${ticket.id} waits in review: no verifier agent is available in this process`;
    // The verifier is a paid run like any other: a spent budget holds it too.
    const budget = new BudgetBook(ctx.ws).refusal(ticket.brand);
    if (budget) return `${ticket.id} waits in review: the verifier would not be covered (${budget})`;
    // Verifying again what the verifier could not finish twice, with nothing changed, would spend for nothing.
    const stalled = await gateHoldReason(ctx.git, ctx.repo, ticket, ticketWork(ctx.ws, ctx.repo, ticket).branch);
    if (stalled) return stalled;
  }
  return null;
}

/** A checkout that has main checked out with uncommitted changes: the gate waits and touches nothing. */
async function dirtyMainCheckouts(ctx: RepoQueueContext): Promise<string | null> {
  for (const checkout of await checkoutsOf(ctx.git, ctx.repo.mainBranch)) {
    const changes = await uncommitted(checkout);
    if (changes.length === 0) continue;
    const listed = changes.slice(0, 5).map((line) => line.slice(3)).join(', ');
    return `${checkout} has ${ctx.repo.mainBranch} checked out with uncommitted changes (${listed}${changes.length > 5 ? `, and ${changes.length - 5} more` : ''}); commit or stash them and the gate merges on its next run (nothing was touched)`;
  }
  return null;
}

async function attemptOnce(
  ctx: RepoQueueContext,
  ticket: Ticket,
  worktree: string,
  attempt: number,
  step: Step,
): Promise<Done | Moved> {
  const { ws, repo, git } = ctx;
  const startedAt = ws.store.now();
  const { branch, worktree: ticketWorktree } = ticketWork(ws, repo, ticket);
  const mainSha = await git.head();
  const tip = await branchSha(git, branch);
  if (!tip) return reject(ctx, ticket, `its branch ${branch} does not exist in ${git.path}`, `Merge gate: the branch ${branch} is gone; the next attempt starts from main.`);
  // Before anything is checked out or run: nothing in the branch or its worktree may make git run a program.
  const unsafe = await inspectCandidate(git, mainSha, tip, ticketWorktree);
  if (unsafe.length > 0) {
    step('candidate', 'fail', { attempt, baseSha: mainSha, branchSha: tip, reason: unsafe.join('; ') });
    return reject(ctx, ticket, `unsafe candidate: ${unsafe[0]}`, `Merge gate: the candidate was refused before anything ran:\n${unsafe.map((r) => `- ${r}`).join('\n')}`);
  }

  step('candidate', 'start', { attempt, baseSha: mainSha, branch, branchSha: tip });
  const build = await buildCandidate(git, { worktree, branchSha: tip, mainSha, author: ws.registry.git.author });
  if (!build.ok) {
    step('candidate', 'fail', candidateFailure(build));
    return rejectBuild(ctx, ticket, build, branch);
  }
  const { candidateSha } = build;
  step('candidate', 'pass', { attempt, baseSha: mainSha, candidateSha, rebased: build.rebased, commits: build.commits });

  const checks: CheckEvidence[] = [];
  for (const check of configuredChecks(repo)) {
    step('check', 'start', { candidateSha, name: check.name, command: check.command });
    const evidence = await runCheck(check, {
      paths: ws.paths,
      registry: ws.registry,
      brand: ctx.brand.id,
      repo,
      ticket,
      worktree,
      signal: ctx.signal,
    });
    checks.push(evidence);
    step('check', checkPassed(evidence) ? 'pass' : 'fail', { candidateSha, ...evidence });
  }
  const failed = checks.filter((c) => !checkPassed(c));
  if (failed.length > 0) {
    const names = failed.map((c) => c.name).join(', ');
    const feedback = [
      `Merge gate: ${failed.length === 1 ? 'a check' : 'checks'} failed on the candidate ${short(candidateSha)} (the branch rebased onto main ${short(mainSha)}):`,
      ...failed.map((c) => `\n$ ${c.command}  (${c.timedOut ? 'timed out' : `exit ${c.exitCode ?? 'none'}`}, ${c.durationMs} ms)\n${tail(c.outputTail)}`),
    ].join('\n');
    const evidence = partialEvidence(mainSha, candidateSha, checks, { verdict: 'fail', reasons: [`failed checks: ${names}`] }, ctx, startedAt);
    return reject(ctx, ticket, `checks failed: ${names}`, feedback, evidence);
  }

  let verdict: VerifierVerdict;
  const mode = repo.gate.verifier;
  if (mode === 'checks-only') {
    verdict = { verdict: 'pass', reasons: [`repo ${repo.id} sets gate.verifier "checks-only" in registry.json: no agent review, the checks decide`] };
    step('verifier', 'pass', { candidateSha, mode, reasons: verdict.reasons });
  } else {
    step('verifier', 'start', { candidateSha, mode });
    try {
      verdict = await ctx.options.verifier!({
        ticket,
        brand: ctx.brand,
        repo,
        worktree,
        baseSha: mainSha,
        candidateSha,
        diff: await candidateDiff(git, mainSha, candidateSha),
        checks,
        signal: ctx.signal,
      });
    } catch (error) {
      const reason = `${ticket.id} waits in review: the verifier could not finish (${errorMessage(error)})`;
      step('verifier', 'wait', { candidateSha, mode, reason });
      recordGateStall(ws, ticket.id, { reason: `the verifier could not finish (${errorMessage(error)})`, mainSha, branchSha: tip });
      return { result: 'waiting', reason };
    }
    if (ws.tickets.get(ticket.id).hold) ws.tickets.update(ticket.id, () => ({ hold: null }));
    step('verifier', verdict.verdict === 'pass' ? 'pass' : 'fail', { candidateSha, mode, reasons: verdict.reasons });
    if (verdict.verdict !== 'pass') {
      const feedback = `Merge gate: the verifier failed the candidate ${short(candidateSha)}:\n${verdict.reasons.map((r) => `- ${r}`).join('\n') || '- (no reasons given)'}`;
      const evidence = partialEvidence(mainSha, candidateSha, checks, verdict, ctx, startedAt);
      return reject(ctx, ticket, `the verifier said fail: ${verdict.reasons[0] ?? 'no reason given'}`, feedback, evidence);
    }
  }

  step('doctor', 'start', { candidateSha });
  const doctor = await ctx.doctor();
  if (doctor.grade !== 'A') {
    const reason = `${ticket.id} waits in review: the doctor grades ${doctor.grade} ${doctor.passed}/${doctor.total} (${doctor.failing.slice(0, 3).join('; ')}); \`master doctor\` shows what to fix`;
    step('doctor', 'fail', { candidateSha, grade: doctor.grade, passed: doctor.passed, total: doctor.total, failing: doctor.failing, reason });
    return { result: 'waiting', reason };
  }
  step('doctor', 'pass', { candidateSha, grade: doctor.grade, passed: doctor.passed, total: doctor.total });

  const evidence: GateEvidence = {
    baseSha: mainSha,
    candidateSha,
    checks,
    verdict: { ...verdict, mode },
    doctor: { grade: doctor.grade, passed: doctor.passed, total: doctor.total },
    startedAt,
    finishedAt: ws.store.now(),
  };
  ws.tickets.transition(ticket.id, { type: 'pass', evidence }, { by: 'gate', note: `candidate ${short(candidateSha)} on main ${short(mainSha)} passed` });
  step('pass', 'done', { candidateSha, baseSha: mainSha });
  return moveMain(ctx, ws.tickets.get(ticket.id), evidence, step);
}

/**
 * The compare-and-swap: main moves from the evidence's base to its candidate,
 * or not at all. A ticket in `merging` waits there while a checkout of main
 * is dirty; main moved by someone else sends it back to review (`rebuild`).
 */
async function moveMain(ctx: RepoQueueContext, ticket: Ticket, evidence: GateEvidence, step: Step): Promise<Done | Moved> {
  const { ws, repo, git } = ctx;
  const dirty = await dirtyMainCheckouts(ctx);
  if (dirty) {
    step('checkout', 'wait', { candidateSha: evidence.candidateSha, reason: dirty });
    return { result: 'waiting', reason: `${ticket.id} passed and waits in merging: ${dirty}` };
  }
  // The operator may cancel a ticket in merging from another terminal: look again right before main moves.
  ws.store.refresh();
  const now = ws.store.state.tickets[ticket.id];
  if (now?.state !== 'merging') {
    step('merge', 'wait', { candidateSha: evidence.candidateSha, reason: `${ticket.id} is ${now?.state ?? 'gone'}` });
    return { result: 'waiting', reason: `${ticket.id} is ${now?.state ?? 'gone'} now; main was not moved` };
  }
  const checkouts = await checkoutsOf(git, repo.mainBranch);
  const cas = await compareAndSwapBranch(git, repo.mainBranch, evidence.candidateSha, evidence.baseSha, `master gate: ${ticket.id} ${ticket.title}`);
  if (!cas.ok) {
    step('merge', 'moved', { candidateSha: evidence.candidateSha, expected: evidence.baseSha, found: cas.current });
    ws.tickets.transition(ticket.id, 'rebuild', {
      by: 'gate',
      note: `main moved from ${short(evidence.baseSha)} to ${short(cas.current)} before the merge; the candidate is rebuilt and checked again`,
    });
    return { moved: true, from: evidence.baseSha, to: cas.current };
  }
  for (const checkout of checkouts) {
    const ff = await fastForwardCheckout(checkout, evidence.baseSha, evidence.candidateSha);
    if (ff.code === 0) step('checkout', 'done', { checkout, mainSha: evidence.candidateSha });
    else {
      step('checkout', 'fail', {
        checkout,
        reason: `main moved to ${short(evidence.candidateSha)} but ${checkout} could not follow (${ff.stderr.trim()}); run \`git -C ${checkout} read-tree -m -u ${evidence.baseSha} ${evidence.candidateSha}\``,
      });
    }
  }
  return finishMerge(ctx, ticket, evidence, step);
}

/** `merge` with the sha main was swapped to, then the ticket's worktree and branch go. */
async function finishMerge(ctx: RepoQueueContext, ticket: Ticket, evidence: GateEvidence, step: Step): Promise<Done> {
  const { ws, repo, git } = ctx;
  try {
    ws.tickets.transition(ticket.id, { type: 'merge', mainSha: evidence.candidateSha }, { by: 'gate', note: `main is now ${short(evidence.candidateSha)}` });
  } catch (error) {
    if (!(error instanceof TransitionError)) throw error;
    // Cancelled in the instant between the last look and the swap: main holds the checked
    // candidate all the same; say so plainly rather than fail the queue.
    ws.store.record({
      type: 'note',
      level: 'warn',
      ticket: ticket.id,
      message: `${ticket.id} was ${ws.tickets.get(ticket.id).state} while its merge ran: main moved to the checked candidate ${short(evidence.candidateSha)} anyway`,
    });
  }
  step('merge', 'done', { mainSha: evidence.candidateSha, baseSha: evidence.baseSha });
  ws.store.record({ type: 'merge.done', ticket: ticket.id, brand: ticket.brand, repo: repo.id, mainSha: evidence.candidateSha, baseSha: evidence.baseSha });
  const work = ticketWork(ws, repo, ticket);
  const problems = await removeTicketWork(git, work.worktree, work.branch);
  step('cleanup', problems.length ? 'fail' : 'done', { branch: work.branch, worktree: work.worktree, ...(problems.length ? { problems } : {}) });
  return { result: 'merged', reason: `merged: main is now ${short(evidence.candidateSha)}`, mainSha: evidence.candidateSha };
}

/** A ticket found in `merging` (a dirty checkout held it, or a gate died): finish, retry the swap, or rebuild. */
async function resumeMerging(
  ctx: RepoQueueContext,
  ticket: Ticket,
  step: Step,
): Promise<{ kind: 'done'; result: GateOutcome['result']; reason: string; mainSha?: string } | { kind: 'rebuild' }> {
  const { ws, git, repo } = ctx;
  const evidence = ticket.gate;
  const main = await branchSha(git, repo.mainBranch);
  if (evidence && main === evidence.candidateSha) {
    const done = await finishMerge(ctx, ticket, evidence, step);
    return { kind: 'done', ...done };
  }
  if (evidence && main === evidence.baseSha && (await git.hasCommit(evidence.candidateSha))) {
    const moved = await moveMain(ctx, ticket, evidence, step);
    if (!('moved' in moved)) return { kind: 'done', ...moved };
    return { kind: 'rebuild' };
  }
  ws.tickets.transition(ticket.id, 'rebuild', { by: 'gate', note: `main is at ${short(main)}, not the base the evidence was for; rebuilding` });
  return { kind: 'rebuild' };
}

function candidateFailure(build: Exclude<CandidateBuild, { ok: true }>): Record<string, unknown> {
  if (build.kind === 'conflict') return { baseSha: build.baseSha, conflict: build.conflicts.map((c) => c.file), commit: build.commit };
  return { baseSha: build.baseSha, reason: build.message };
}

function rejectBuild(ctx: RepoQueueContext, ticket: Ticket, build: Exclude<CandidateBuild, { ok: true }>, branch: string): Done {
  if (build.kind === 'conflict') {
    const files = build.conflicts.map((c) => c.file);
    const feedback = [
      `Merge gate: ${branch} does not rebase onto main ${short(build.baseSha)}: ${build.commit ? `commit ${short(build.commit)}` : 'a commit'} conflicts in ${files.join(', ')}. Start from the current main and redo the change so it fits; the conflicting hunks:`,
      ...build.conflicts.map((c) => `\n--- ${c.file}\n${c.hunks}`),
    ].join('\n');
    return reject(ctx, ticket, `conflict with main in ${files.join(', ')}`, feedback);
  }
  return reject(ctx, ticket, build.message, `Merge gate: ${build.message} (main ${short(build.baseSha)}).`);
}

function partialEvidence(
  baseSha: string,
  candidateSha: string,
  checks: CheckEvidence[],
  verdict: VerifierVerdict,
  ctx: RepoQueueContext,
  startedAt: string,
): GateEvidence {
  return {
    baseSha,
    candidateSha,
    checks,
    verdict: { ...verdict, mode: ctx.repo.gate.verifier },
    doctor: { grade: '-', passed: 0, total: 0 },
    startedAt,
    finishedAt: ctx.ws.store.now(),
  };
}

/** `reject` with a one-line note for the history and the full feedback for the next attempt. */
function reject(ctx: RepoQueueContext, ticket: Ticket, note: string, feedback: string, evidence?: GateEvidence): Done {
  const current = ctx.ws.tickets.get(ticket.id);
  ctx.ws.tickets.transition(ticket.id, 'reject', {
    by: 'gate',
    note,
    patch: { feedback: [...current.feedback, feedback], ...(evidence ? { gate: evidence } : {}) },
  });
  return { result: 'rejected', reason: `rejected: ${note}` };
}
