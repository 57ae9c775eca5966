import path from 'node:path';
import type { WorkspacePaths } from '../workspace/paths.js';

/** The lock a repo's merge queue holds while it gates: one queue per repo, across processes too. */
export function gateLockPath(paths: Pick<WorkspacePaths, 'data'>, repoId: string): string {
  return path.join(paths.data, 'locks', `gate-${repoId}.lock`);
}

/** The gate worktree of a ticket: beside the ticket worktrees, named so the doctor knows whose it is. */
export function gateWorktreePath(paths: Pick<WorkspacePaths, 'worktrees'>, repoId: string, ticketId: string): string {
  return path.join(paths.worktrees, repoId, `gate-${ticketId}`);
}

/** `gate-T-3` → `T-3`; null for any other folder name. */
export function gateWorktreeTicket(name: string): string | null {
  const match = /^gate-(T-\d+)$/.exec(name);
  return match ? match[1]! : null;
}
