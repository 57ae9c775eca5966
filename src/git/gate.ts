import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { gitIdentityArgs, gitIdentityEnv, type GitAuthor } from './identity.js';
import type { GitRepo } from './repo.js';
import { gitTargetFor, runGit, type GitOutcome } from './safe.js';

export type { GitOutcome } from './safe.js';

/**
 * The git operations of the merge gate: a candidate built in its own
 * worktree, a compare-and-swap of the main ref, and keeping checkouts that
 * have main checked out in step. Plain `git` processes through src/git/safe.ts:
 * the gate needs exit codes and stderr, and an identity in the environment.
 */

/**
 * Runs git in `cwd` (a repo or worktree master knows) and resolves with its
 * exit code and output; never rejects on a non-zero exit. Goes through
 * `runGit`: the git folder from master's records, no program-running settings.
 */
export function gitOutcome(cwd: string, args: string[], env: Record<string, string> = {}): Promise<GitOutcome> {
  return runGit(cwd, args, env);
}

async function gitOk(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const outcome = await gitOutcome(cwd, args, env);
  if (outcome.code !== 0) throw new Error(`\`git ${args.join(' ')}\` failed: ${(outcome.stderr || outcome.stdout).trim()}`);
  return outcome.stdout;
}

/** One file of a conflict and the conflicting hunks (with git's markers), capped. */
export interface ConflictFile {
  file: string;
  hunks: string;
}

export type CandidateBuild =
  | { ok: true; candidateSha: string; baseSha: string; rebased: boolean; commits: number }
  | { ok: false; kind: 'conflict'; conflicts: ConflictFile[]; commit: string; baseSha: string }
  | { ok: false; kind: 'empty' | 'error'; message: string; baseSha: string };

export interface CandidateOptions {
  /** The repo queue's gate worktree (created on first use, reused after: only changed files are rewritten). */
  worktree: string;
  /** The ticket branch's tip. */
  branchSha: string;
  /** The main sha the candidate is built on. */
  mainSha: string;
  /** Who the rebased commits are committed as (authors are kept). */
  author: GitAuthor;
}

const HUNKS_PER_FILE = 2000;
const MAX_CONFLICT_FILES = 20;
// Repo hooks do not run in the gate: its checks are the registry's, and a hook could move refs.
const NO_HOOKS = ['-c', `core.hooksPath=${process.platform === 'win32' ? 'NUL' : '/dev/null'}`];

/** Removes a gate worktree (folder and git's record of it); quiet when it is already gone. */
export async function removeGateWorktree(repo: GitRepo, worktree: string): Promise<void> {
  await gitOutcome(repo.path, ['worktree', 'remove', '--force', worktree]);
  await rm(worktree, { recursive: true, force: true });
  await gitOutcome(repo.path, ['worktree', 'prune']);
}

/** The git dir of a linked worktree, from git's record of it in the repo (null when it is not one). */
function linkedGitDir(worktree: string): string | null {
  const target = gitTargetFor(worktree);
  return target?.workTree ? target.gitDir : null;
}

/**
 * Puts the gate worktree at `sha` with nothing else in it (untracked and
 * ignored files removed, so no artifact of an earlier candidate can make a
 * check pass). Reuses the worktree when it is sound; otherwise makes it anew.
 */
export async function prepareGateWorktree(repo: GitRepo, worktree: string, sha: string): Promise<void> {
  const target = path.resolve(worktree);
  const gitDir = linkedGitDir(target);
  if (gitDir && existsSync(gitDir)) {
    // A gate killed mid-rebase leaves the rebase behind: drop it first.
    if (existsSync(path.join(gitDir, 'rebase-merge')) || existsSync(path.join(gitDir, 'rebase-apply'))) await gitOutcome(target, ['rebase', '--abort']);
    const checkout = await gitOutcome(target, ['checkout', '--quiet', '--detach', '--force', sha]);
    if (checkout.code === 0) {
      const clean = await gitOutcome(target, ['clean', '-ffdxq']);
      if (clean.code === 0) return;
    }
  }
  await removeGateWorktree(repo, target);
  await gitOk(repo.path, ['worktree', 'add', '--quiet', '--detach', target, sha]);
}

/**
 * Builds the candidate: the ticket's commits (those main lacks) replayed on
 * top of `mainSha`, in a detached worktree. A branch already on top of main
 * is its own candidate. A conflict leaves nothing behind but the conflict's
 * files and hunks.
 */
export async function buildCandidate(repo: GitRepo, options: CandidateOptions): Promise<CandidateBuild> {
  const { worktree, branchSha, mainSha } = options;
  const baseSha = mainSha;
  const mergeBase = (await gitOk(repo.path, ['merge-base', mainSha, branchSha])).trim();
  const ahead = Number((await gitOk(repo.path, ['rev-list', '--count', `${mergeBase}..${branchSha}`])).trim());
  if (ahead === 0) return { ok: false, kind: 'empty', message: 'the branch has no commits that main lacks', baseSha };
  await prepareGateWorktree(repo, worktree, branchSha);
  if (mergeBase === mainSha) return { ok: true, candidateSha: branchSha, baseSha, rebased: false, commits: ahead };

  const env = { ...gitIdentityEnv(options.author), GIT_EDITOR: 'true', GIT_SEQUENCE_EDITOR: 'true' };
  const rebase = await gitOutcome(worktree, [...NO_HOOKS, ...gitIdentityArgs(options.author), 'rebase', '--quiet', '--no-autostash', '--onto', mainSha, mergeBase], env);
  if (rebase.code !== 0) {
    const unmerged = (await gitOutcome(worktree, ['diff', '--name-only', '--diff-filter=U'])).stdout.split('\n').filter(Boolean);
    const stopped = (await gitOutcome(worktree, ['rev-parse', '--verify', '--quiet', 'REBASE_HEAD'])).stdout.trim();
    const conflicts: ConflictFile[] = [];
    for (const file of unmerged.slice(0, MAX_CONFLICT_FILES)) {
      const diff = (await gitOutcome(worktree, ['diff', '--no-ext-diff', '--no-textconv', '--', file])).stdout;
      conflicts.push({ file, hunks: cap(diff, HUNKS_PER_FILE) });
    }
    await gitOutcome(worktree, ['rebase', '--abort']);
    if (unmerged.length === 0) {
      return { ok: false, kind: 'error', message: `rebase onto main failed: ${(rebase.stderr || rebase.stdout).trim()}`, baseSha };
    }
    return { ok: false, kind: 'conflict', conflicts, commit: stopped, baseSha };
  }
  const candidateSha = (await gitOk(worktree, ['rev-parse', 'HEAD'])).trim();
  if (candidateSha === mainSha) {
    return { ok: false, kind: 'empty', message: 'every change of the branch is already on main (the rebase dropped them all)', baseSha };
  }
  return { ok: true, candidateSha, baseSha, rebased: true, commits: ahead };
}

function cap(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}\n… (${text.length - max} more characters)`;
}

/** The diff of a candidate against its base: the stat, then the patch (capped) — what the verifier reads. */
export async function candidateDiff(repo: GitRepo, baseSha: string, candidateSha: string, max = 60_000): Promise<string> {
  const [stat, patch] = await Promise.all([
    gitOk(repo.path, ['diff', '--no-ext-diff', '--no-textconv', '--stat', baseSha, candidateSha]),
    gitOk(repo.path, ['diff', '--no-ext-diff', '--no-textconv', baseSha, candidateSha]),
  ]);
  return `${stat.trimEnd()}\n\n${cap(patch, max)}`;
}

export type CasResult = { ok: true } | { ok: false; current: string | null; message: string };

/**
 * Moves `refs/heads/<branch>` to `newSha` only if it still points at
 * `expectedOld` (git's own compare-and-swap under the ref lock).
 */
export async function compareAndSwapBranch(repo: GitRepo, branch: string, newSha: string, expectedOld: string, reason: string): Promise<CasResult> {
  const ref = `refs/heads/${branch}`;
  const outcome = await gitOutcome(repo.path, ['update-ref', '-m', reason, ref, newSha, expectedOld]);
  if (outcome.code === 0) return { ok: true };
  const current = (await gitOutcome(repo.path, ['rev-parse', '--verify', '--quiet', ref])).stdout.trim() || null;
  return { ok: false, current, message: outcome.stderr.trim() };
}

/** The checkouts (primary first, then linked worktrees) that have `branch` checked out. */
export async function checkoutsOf(repo: GitRepo, branch: string): Promise<string[]> {
  const list = await repo.worktreeList();
  return list.filter((w) => !w.bare && w.branch === branch).map((w) => w.path);
}

/** Uncommitted changes of a checkout: staged, unstaged and untracked paths (porcelain lines). */
export async function uncommitted(checkout: string): Promise<string[]> {
  const outcome = await gitOutcome(checkout, ['status', '--porcelain=v1', '--untracked-files=normal']);
  if (outcome.code !== 0) return [`(git status failed: ${outcome.stderr.trim()})`];
  return outcome.stdout.split('\n').filter(Boolean);
}

/**
 * Brings a clean checkout whose branch ref moved from `oldSha` to `newSha`
 * up to date: index and files follow the ref (a two-tree fast-forward).
 */
export async function fastForwardCheckout(checkout: string, oldSha: string, newSha: string): Promise<GitOutcome> {
  await gitOutcome(checkout, ['update-index', '-q', '--refresh']);
  return gitOutcome(checkout, ['read-tree', '-m', '-u', oldSha, newSha]);
}

/** Removes a ticket's worktree (forced: its work is on main now) and deletes its branch. */
export async function removeTicketWork(repo: GitRepo, worktree: string | null, branch: string): Promise<string[]> {
  const problems: string[] = [];
  if (worktree) {
    const removed = await gitOutcome(repo.path, ['worktree', 'remove', '--force', worktree]);
    if (removed.code !== 0 && !/is not a working tree|not a valid path|No such file/i.test(removed.stderr)) {
      problems.push(`worktree ${worktree}: ${removed.stderr.trim()}`);
    }
    await rm(worktree, { recursive: true, force: true });
    await gitOutcome(repo.path, ['worktree', 'prune']);
  }
  const deleted = await gitOutcome(repo.path, ['branch', '-D', '--quiet', branch]);
  if (deleted.code !== 0 && !/not found/i.test(deleted.stderr)) problems.push(`branch ${branch}: ${deleted.stderr.trim()}`);
  return problems;
}

/** The sha a branch points at now, or null when it does not exist (one git process, never cached). */
export async function branchSha(repo: GitRepo, branch: string): Promise<string | null> {
  const outcome = await gitOutcome(repo.path, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]);
  return outcome.code === 0 ? outcome.stdout.trim() : null;
}
