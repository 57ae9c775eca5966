import path from 'node:path';
import type { WorkspacePaths } from '../workspace/paths.js';

/** The lock a repo's merge queue holds while it gates: one queue per repo, across processes too. */
export function gateLockPath(paths: Pick<WorkspacePaths, 'data'>, repoId: string): string {
  return path.join(paths.data, 'locks', `gate-${repoId}.lock`);
}

/** The folder name of a repo queue's gate worktree, beside the ticket worktrees. */
export const GATE_WORKTREE = 'gate';

/**
 * The repo queue's gate worktree, where candidates are built and checked.
 * It stays between tickets (checking out the next candidate rewrites only
 * the files that differ), so a candidate costs no full checkout.
 */
export function gateWorktreePath(paths: Pick<WorkspacePaths, 'worktrees'>, repoId: string): string {
  return path.join(paths.worktrees, repoId, GATE_WORKTREE);
}
