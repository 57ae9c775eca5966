import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { gitOutcome } from './gate.js';
import { GitRepo } from './repo.js';

/**
 * The dispatcher's worktree operations on top of GitRepo: one worktree per
 * ticket, created or reset to a base commit, and what a run left in it.
 * Worktree bookkeeping of one repo is serialized in this process (git's own
 * locks would make concurrent `worktree add` calls fail, not wait).
 */
const queues = new Map<string, Promise<unknown>>();

/** Runs `task` after every earlier task for the same repo has finished. */
export function serialized<T>(repoPath: string, task: () => Promise<T>): Promise<T> {
  const previous = queues.get(repoPath) ?? Promise.resolve();
  const next = previous.then(task, task);
  queues.set(
    repoPath,
    next.catch(() => undefined),
  );
  return next;
}

function same(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/** Whether `dir` is a registered, present worktree of the repo, and on which branch. */
export async function worktreeState(repo: GitRepo, dir: string): Promise<{ registered: boolean; present: boolean; branch: string | null }> {
  const entry = (await repo.worktreeList()).find((w) => same(w.path, dir));
  return { registered: !!entry, present: !!entry && !entry.prunable && existsSync(dir), branch: entry?.branch ?? null };
}

/**
 * Makes `dir` a clean worktree on `branch` at `base`: reuses the folder when
 * it is already this repo's worktree (reset hard, untracked files removed),
 * otherwise clears whatever is there (a half-made worktree after a crash) and adds it.
 */
export async function freshWorktree(repo: GitRepo, dir: string, branch: string, base: string): Promise<void> {
  await serialized(repo.path, async () => {
    const state = await worktreeState(repo, dir);
    if (state.present) {
      const tree = await GitRepo.open(dir, { id: repo.id, mainBranch: repo.mainBranch });
      await tree.run(['reset', '--quiet', '--hard']);
      await tree.run(['checkout', '--quiet', '-B', branch, base]);
      await tree.run(['clean', '-ffdxq']);
      return;
    }
    if (state.registered) await repo.worktreePrune();
    if (existsSync(dir)) {
      await rm(dir, { recursive: true, force: true });
      await repo.worktreePrune();
    }
    // A branch left checked out in a folder that is gone was pruned above; -B moves the branch to base.
    await repo.run(['worktree', 'add', '--quiet', '-B', branch, path.resolve(dir), base]);
  });
}

/** Removes a ticket's worktree (and, with `deleteBranch`, its branch); a missing one is fine. */
export async function removeTicketWorktree(repo: GitRepo, dir: string, branch: string | null, options: { deleteBranch?: boolean } = {}): Promise<void> {
  await serialized(repo.path, async () => {
    const state = await worktreeState(repo, dir);
    if (state.present) await repo.worktreeRemove(dir, { force: true });
    if (existsSync(dir)) await rm(dir, { recursive: true, force: true });
    await repo.worktreePrune();
    if (options.deleteBranch && branch && (await repo.branchList(branch)).some((b) => b.name === branch)) {
      await repo.branchDelete(branch, { force: true });
    }
  });
}

/** What a run left: uncommitted files and the commit its worktree is at. */
export async function worktreeStatus(repo: GitRepo, dir: string): Promise<{ dirty: number; head: string }> {
  const tree = await GitRepo.open(dir, { id: repo.id, mainBranch: repo.mainBranch });
  const dirty = (await tree.dirtyFiles()).length;
  const head = (await tree.run(['rev-parse', 'HEAD'])).trim();
  return { dirty, head };
}

/** Where a closed ticket's unmerged work is kept when its worktree and branch go: `<data>/kept/<repo>/<T-n>.patch`. */
export function keptWorkFile(dataDir: string, repoId: string, ticketId: string): string {
  return path.join(dataDir, 'kept', repoId, `${ticketId}.patch`);
}

/**
 * Saves what a closed ticket did that main does not have (its branch's
 * commits and, in its worktree, uncommitted and untracked files) to `file`
 * as a patch that `git apply` takes, before its worktree and branch are
 * removed. Returns the file, or null when there was nothing to keep.
 */
export async function keepTicketWork(repo: { where: string; mainBranch: string }, file: string, worktree: string | null, branch: string | null): Promise<string | null> {
  let diff = '';
  if (worktree && existsSync(worktree)) {
    // Stage everything in the worktree that is about to be removed, so untracked files are in the diff too.
    const added = await gitOutcome(worktree, ['add', '-A']);
    const base = await gitOutcome(worktree, ['merge-base', 'HEAD', repo.mainBranch]);
    if (added.code === 0 && base.code === 0) diff = (await gitOutcome(worktree, ['diff', '--cached', '--binary', base.stdout.trim()])).stdout;
  } else if (branch) {
    diff = (await gitOutcome(repo.where, ['diff', '--binary', `${repo.mainBranch}...${branch}`])).stdout;
  }
  if (!diff.trim()) return null;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, diff);
  return file;
}
