import { errorMessage } from '../errors.js';
import { branchSha, buildCandidate, candidateDiff, checkoutsOf, compareAndSwapBranch, fastForwardCheckout, removeTicketWork, uncommitted, type CandidateBuild } from '../git/gate.js';
import type { GitRepo } from '../git/repo.js';
import type { Brand, Repo } from '../registry/schema.js';
import { TransitionError } from '../tickets/index.js';
import type { CheckEvidence, GateEvidence, Ticket } from '../state/types.js';
import type { Workspace } from '../workspace/open.js';
import { checkPassed, configuredChecks, runCheck } from './checks.js';
import { contractAvailability } from '../agents/runContract.js';
import { removePrivateTemp, sandboxReadiness } from '../sandbox/index.js';
import { inspectCandidate } from '../git/inspect.js';
import { behindMain, earlierMains, followMain } from '../git/followMain.js';
import { dropCandidate, dropped, gateTransition, stateNow } from './ticketMoved.js';
import { gateWorktreePath } from '../git/gatePaths.js';
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
function ticketWork(ticket: Ticket): { branch: string; worktree: string | null } {
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
    const event = { type: 'gate.step', ticket: ticketId, brand: ctx.brand.id, repo: repo.id, step: name, status, ...extra } as const;
    if (status === 'start') ctx.options.bus?.publish(event);
    else ws.store.record(event);
  };

  // The queue was listed when the phase began: another process may have moved this ticket since.
  const state = stateNow(ctx, ticketId);
  if (state !== 'review' && state !== 'merging') return dropCandidate(ctx, ticketId, state, worktree, step, 0);
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
      keepWaitOnTicket(ctx, ticket.id, hold);
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

export type Step = (name: GateStepName, status: GateStepStatus, extra?: Record<string, unknown>) => void;
export type Done = { result: GateOutcome['result']; reason: string; mainSha?: string };

/**
 * A wait the gate found before trying anything (a dirty checkout of main, no
 * sandbox for the checks, no verifier, a spent budget) is kept on the ticket,
 * so `ticket show`, the report and the cockpit say why after the session ends.
 * A stalled verifier's hold is left as it is: it counts the stalls and says why itself.
 */
function keepWaitOnTicket(ctx: RepoQueueContext, id: string, reason: string): void {
  const current = ctx.ws.tickets.get(id);
  if (current.hold?.kind === 'gate') return;
  const why = reason.replace(/^T-\d+ (passed and )?waits in (review|merging): /, '');
  if (current.hold?.kind === 'wait' && current.hold.reason === why) return;
  ctx.ws.tickets.update(id, () => ({ hold: { kind: 'wait', reason: why, at: ctx.ws.store.now() } }));
}

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
    // The verifier runs through the executor the registry names for the brand's verifier: a model, or a working `claude`.
    const model = contractAvailability(ctx.ws.registry, ticket.brand, 'verifier');
    if (!model.ok) {
      return `${ticket.id} waits in review: the verifier agent cannot run (${model.reason}), or set "gate": {"verifier": "checks-only"} on repo ${ctx.repo.id}`;
    }
    if (!ctx.options.verifier) return `${ticket.id} waits in review: no verifier agent is available in this process`;
    // The verifier is a paid run like any other: a spent budget holds it too.
    const budget = new BudgetBook(ctx.ws).refusal(ticket.brand);
    if (budget) return `${ticket.id} waits in review: the verifier would not be covered (${budget})`;
    // Verifying again what the verifier could not finish twice, with nothing changed, would spend for nothing.
    const stalled = await gateHoldReason(ctx.git, ctx.repo, ticket, ticketWork(ticket).branch);
    if (stalled) return stalled;
  }
  return null;
}

/**
 * A checkout that has main checked out with uncommitted changes: the gate
 * waits and touches nothing. Except a checkout that is only behind main (a
 * gate died between the swap and the checkout update): it follows main first.
 */
async function dirtyMainCheckouts(ctx: RepoQueueContext): Promise<string | null> {
  for (const checkout of await checkoutsOf(ctx.git, ctx.repo.mainBranch)) {
    const changes = await uncommitted(checkout);
    if (changes.length === 0) continue;
    const main = await branchSha(ctx.git, ctx.repo.mainBranch);
    const from = main ? await behindMain(checkout, main, await earlierMains(ctx.git.path, ctx.repo.mainBranch, main, Object.values(ctx.ws.store.state.tickets), ctx.repo.id)) : null;
    if (main && from) {
      const followed = await followMain({ checkout, from, to: main });
      ctx.ws.store.record({ type: 'gate.step', repo: ctx.repo.id, step: 'checkout', status: followed.ok ? 'done' : 'fail', checkout, from, mainSha: main, reason: followed.message });
      if (followed.ok) continue;
      // Committing these "changes" would undo a merge: say what it is and what to do instead.
      return `${checkout} is behind ${ctx.repo.mainBranch} (its files are ${short(from)}, ${ctx.repo.mainBranch} is ${short(main)}) and could not follow (${followed.message}); do not commit or stash, move away what blocks it and run \`master doctor --fix\``;
    }
    const listed = changes
      .slice(0, 5)
      .map((line) => line.slice(3))
      .join(', ');
    return `${checkout} has ${ctx.repo.mainBranch} checked out with uncommitted changes (${listed}${changes.length > 5 ? `, and ${changes.length - 5} more` : ''}); commit or stash them and the gate merges on its next run (nothing was touched)`;
  }
  return null;
}

async function attemptOnce(ctx: RepoQueueContext, ticket: Ticket, worktree: string, attempt: number, step: Step): Promise<Done | Moved> {
  const { ws, repo, git } = ctx;
  const startedAt = ws.store.now();
  const { branch, worktree: ticketWorktree } = ticketWork(ticket);
  const mainSha = await git.head();
  const tip = await branchSha(git, branch);
  if (!tip) return reject(ctx, ticket, `its branch ${branch} does not exist in ${git.path}`, `Merge gate: the branch ${branch} is gone; the next attempt starts from main.`, undefined, worktree, step);
  // Before anything is checked out or run: nothing in the branch or its worktree may make git run a program.
  const unsafe = await inspectCandidate(git, mainSha, tip, ticketWorktree);
  if (unsafe.length > 0) {
    step('candidate', 'fail', { attempt, baseSha: mainSha, branchSha: tip, reason: unsafe.join('; ') });
    return reject(ctx, ticket, `unsafe candidate: ${unsafe[0]}`, `Merge gate: the candidate was refused before anything ran:\n${unsafe.map((r) => `- ${r}`).join('\n')}`, undefined, worktree, step);
  }

  step('candidate', 'start', { attempt, baseSha: mainSha, branch, branchSha: tip });
  const build = await buildCandidate(git, { worktree, branchSha: tip, mainSha, author: ws.registry.git.author });
  if (!build.ok) {
    step('candidate', 'fail', candidateFailure(build));
    return rejectBuild(ctx, ticket, build, branch, worktree, step);
  }
  const { candidateSha } = build;
  step('candidate', 'pass', { attempt, baseSha: mainSha, candidateSha, rebased: build.rebased, commits: build.commits });
  // Another process may cancel (or otherwise move) the ticket at any point: look before each step.
  const left = async (): Promise<Done | null> => {
    const now = stateNow(ctx, ticket.id);
    return now === 'review' ? null : dropped(ctx, ticket.id, now, worktree, step);
  };

  const checks: CheckEvidence[] = [];
  for (const check of configuredChecks(repo)) {
    const gone = await left();
    if (gone) return gone;
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
  const goneAfterChecks = await left();
  if (goneAfterChecks) return goneAfterChecks;
  const failed = checks.filter((c) => !checkPassed(c));
  if (failed.length > 0) {
    const names = failed.map((c) => c.name).join(', ');
    const feedback = [
      `Merge gate: ${failed.length === 1 ? 'a check' : 'checks'} failed on the candidate ${short(candidateSha)} (the branch rebased onto main ${short(mainSha)}):`,
      ...failed.map((c) => `\n$ ${c.command}  (${c.timedOut ? 'timed out' : `exit ${c.exitCode ?? 'none'}`}, ${c.durationMs} ms)\n${tail(c.outputTail)}`),
    ].join('\n');
    const evidence = partialEvidence(mainSha, candidateSha, checks, { verdict: 'fail', reasons: [`failed checks: ${names}`] }, ctx, startedAt);
    return reject(ctx, ticket, `checks failed: ${names}`, feedback, evidence, worktree, step);
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
      recordGateStall(ws, ticket.id, { reason: `the verifier could not finish (${errorMessage(error)})`, mainSha, branchSha: tip, checks });
      return { result: 'waiting', reason };
    }
    if (ws.tickets.get(ticket.id).hold) ws.tickets.update(ticket.id, () => ({ hold: null }));
    step('verifier', verdict.verdict === 'pass' ? 'pass' : 'fail', { candidateSha, mode, reasons: verdict.reasons });
    if (verdict.verdict !== 'pass') {
      const feedback = `Merge gate: the verifier failed the candidate ${short(candidateSha)}:\n${verdict.reasons.map((r) => `- ${r}`).join('\n') || '- (no reasons given)'}`;
      const evidence = partialEvidence(mainSha, candidateSha, checks, verdict, ctx, startedAt);
      return reject(ctx, ticket, `the verifier said fail: ${verdict.reasons[0] ?? 'no reason given'}`, feedback, evidence, worktree, step);
    }
  }

  const goneBeforeDoctor = await left();
  if (goneBeforeDoctor) return goneBeforeDoctor;
  step('doctor', 'start', { candidateSha });
  const doctor = await ctx.doctor();
  if (doctor.grade !== 'A') {
    const why = `the doctor grades ${doctor.grade} ${doctor.passed}/${doctor.total} (${doctor.failing.slice(0, 3).join('; ')}); \`master doctor\` shows what to fix`;
    const reason = `${ticket.id} waits in review: ${why}`;
    step('doctor', 'fail', { candidateSha, grade: doctor.grade, passed: doctor.passed, total: doctor.total, failing: doctor.failing, reason });
    // Kept on the ticket, so `ticket show`, the report and the cockpit say why it waits (not only this session's log).
    // Not a stall: the candidate was fine, so the next run verifies it again once the system is healthy.
    ws.tickets.update(ticket.id, () => ({ hold: { kind: 'doctor', reason: why, at: ws.store.now(), mainSha, branchSha: tip, checks } }));
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
  // A hold from an earlier run (the doctor's grade) no longer explains anything once the candidate passed.
  const staleHold = ws.tickets.get(ticket.id).hold ? { patch: { hold: null } } : {};
  const passed = gateTransition(ctx, ticket.id, 'review', { type: 'pass', evidence }, { by: 'gate', note: `candidate ${short(candidateSha)} on main ${short(mainSha)} passed`, ...staleHold });
  if (!passed) return dropped(ctx, ticket.id, stateNow(ctx, ticket.id), worktree, step);
  step('pass', 'done', { candidateSha, baseSha: mainSha });
  return moveMain(ctx, passed, evidence, step);
}

/**
 * The compare-and-swap: main moves from the evidence's base to its candidate,
 * or not at all. A ticket in `merging` waits there while a checkout of main
 * is dirty; main moved by someone else sends it back to review (`rebuild`).
 */
async function moveMain(ctx: RepoQueueContext, ticket: Ticket, evidence: GateEvidence, step: Step): Promise<Done | Moved> {
  const { repo, git } = ctx;
  const worktree = gateWorktreePath(ctx.ws.paths, repo.id);
  const dirty = await dirtyMainCheckouts(ctx);
  if (dirty) {
    step('checkout', 'wait', { candidateSha: evidence.candidateSha, reason: dirty });
    keepWaitOnTicket(ctx, ticket.id, dirty);
    return { result: 'waiting', reason: `${ticket.id} passed and waits in merging: ${dirty}` };
  }
  // Every checkout of main was clean just now (or the gate would wait): the intent says so before
  // main moves, so a restart after a crash knows they are to follow main, not changes to keep.
  const checkouts = await checkoutsOf(git, repo.mainBranch);
  step('merge', 'intent', { candidateSha: evidence.candidateSha, baseSha: evidence.baseSha, checkouts });
  // The operator may cancel a ticket in merging from another terminal: the last look, right before main moves.
  const now = stateNow(ctx, ticket.id);
  if (now !== 'merging') return dropped(ctx, ticket.id, now, worktree, step);
  const cas = await compareAndSwapBranch(git, repo.mainBranch, evidence.candidateSha, evidence.baseSha, `master gate: ${ticket.id} ${ticket.title}`);
  if (!cas.ok && cas.current === evidence.baseSha) {
    // Main did not move: git could not take its ref lock (a git process killed while holding it leaves
    // the lock file behind). Rebuilding would not help; the ticket waits in merging, main untouched.
    const reason = `${ticket.id} passed and waits in merging: git could not move ${repo.mainBranch} (${cas.message}); if no git process is running in ${git.path}, remove the lock file it names`;
    step('merge', 'wait', { candidateSha: evidence.candidateSha, reason });
    return { result: 'waiting', reason };
  }
  if (!cas.ok) {
    step('merge', 'moved', { candidateSha: evidence.candidateSha, expected: evidence.baseSha, found: cas.current });
    const rebuilt = gateTransition(ctx, ticket.id, 'merging', 'rebuild', {
      by: 'gate',
      note: `main moved from ${short(evidence.baseSha)} to ${short(cas.current)} before the merge; the candidate is rebuilt and checked again`,
    });
    if (!rebuilt) return dropped(ctx, ticket.id, stateNow(ctx, ticket.id), worktree, step);
    return { moved: true, from: evidence.baseSha, to: cas.current };
  }
  for (const checkout of checkouts) {
    // Main has moved and this checkout not yet: the window a crash recovery must close (bus only).
    step('checkout', 'start', { checkout, from: evidence.baseSha, to: evidence.candidateSha });
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
  const work = ticketWork(ticket);
  const problems = await removeTicketWork(git, work.worktree, work.branch);
  removePrivateTemp(ws.paths, ticket.id);
  step('cleanup', problems.length ? 'fail' : 'done', { branch: work.branch, worktree: work.worktree, ...(problems.length ? { problems } : {}) });
  return { result: 'merged', reason: `merged: main is now ${short(evidence.candidateSha)}`, mainSha: evidence.candidateSha };
}

/** A ticket found in `merging` (a dirty checkout held it, or a gate died): finish, retry the swap, or rebuild. */
async function resumeMerging(ctx: RepoQueueContext, ticket: Ticket, step: Step): Promise<{ kind: 'done'; result: GateOutcome['result']; reason: string; mainSha?: string } | { kind: 'rebuild' }> {
  const { ws, git, repo } = ctx;
  const evidence = ticket.gate;
  const main = await branchSha(git, repo.mainBranch);
  if (evidence && main === evidence.candidateSha) {
    // The swap happened and the gate died: checkouts that were clean follow main now (one with
    // changes of someone's own is left as it is; the merge itself is done either way).
    const dirty = await dirtyMainCheckouts(ctx);
    if (dirty) step('checkout', 'fail', { reason: dirty });
    const done = await finishMerge(ctx, ticket, evidence, step);
    return { kind: 'done', ...done };
  }
  if (evidence && main === evidence.baseSha && (await git.hasCommit(evidence.candidateSha))) {
    const moved = await moveMain(ctx, ticket, evidence, step);
    if (!('moved' in moved)) return { kind: 'done', ...moved };
    return { kind: 'rebuild' };
  }
  const rebuilt = gateTransition(ctx, ticket.id, 'merging', 'rebuild', { by: 'gate', note: `main is at ${short(main)}, not the base the evidence was for; rebuilding` });
  if (!rebuilt) return { kind: 'done', ...(await dropped(ctx, ticket.id, stateNow(ctx, ticket.id), gateWorktreePath(ws.paths, repo.id), step)) };
  return { kind: 'rebuild' };
}

function candidateFailure(build: Exclude<CandidateBuild, { ok: true }>): Record<string, unknown> {
  if (build.kind === 'conflict') return { baseSha: build.baseSha, conflict: build.conflicts.map((c) => c.file), commit: build.commit };
  return { baseSha: build.baseSha, reason: build.message };
}

function rejectBuild(ctx: RepoQueueContext, ticket: Ticket, build: Exclude<CandidateBuild, { ok: true }>, branch: string, worktree: string, step: Step): Promise<Done> {
  if (build.kind === 'conflict') {
    const files = build.conflicts.map((c) => c.file);
    const feedback = [
      `Merge gate: ${branch} does not rebase onto main ${short(build.baseSha)}: ${build.commit ? `commit ${short(build.commit)}` : 'a commit'} conflicts in ${files.join(', ')}. Start from the current main and redo the change so it fits; the conflicting hunks:`,
      ...build.conflicts.map((c) => `\n--- ${c.file}\n${c.hunks}`),
    ].join('\n');
    return reject(ctx, ticket, `conflict with main in ${files.join(', ')}`, feedback, undefined, worktree, step);
  }
  return reject(ctx, ticket, build.message, `Merge gate: ${build.message} (main ${short(build.baseSha)}).`, undefined, worktree, step);
}

function partialEvidence(baseSha: string, candidateSha: string, checks: CheckEvidence[], verdict: VerifierVerdict, ctx: RepoQueueContext, startedAt: string): GateEvidence {
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
async function reject(ctx: RepoQueueContext, ticket: Ticket, note: string, feedback: string, evidence: GateEvidence | undefined, worktree: string, step: Step): Promise<Done> {
  const current = ctx.ws.tickets.get(ticket.id);
  // The evidence it failed on goes with the machine's `reject` (its recordEvidence), so the ticket keeps what the machine kept.
  const rejected = gateTransition(
    ctx,
    ticket.id,
    'review',
    { type: 'reject', ...(evidence ? { evidence } : {}) },
    {
      by: 'gate',
      note,
      // A verdict ends any hold (a doctor's grade, a stalled verifier): after a retry it would explain nothing.
      patch: { feedback: [...current.feedback, feedback], ...(current.hold ? { hold: null } : {}) },
    },
  );
  if (!rejected) return dropped(ctx, ticket.id, stateNow(ctx, ticket.id), worktree, step);
  return { result: 'rejected', reason: `rejected: ${note}` };
}
