import path from 'node:path';
import { gitOutcome } from '../git/gate.js';
import { followMain } from '../git/followMain.js';
import { removeStaleIndexLocks } from '../git/indexLock.js';
import { FileLock } from '../state/lock.js';
import { orphanBranches, staleWorktrees } from './checks/repos.js';
import { workspaceLocks } from './checks/state.js';
import type { DoctorContext } from './types.js';

/**
 * Repairs what is safe to repair, and says what it did: forgets worktrees
 * whose folders are gone, removes worktrees nothing needs (a ticket worktree
 * with uncommitted changes is kept), deletes branches of merged tickets, and
 * releases locks whose holder is dead.
 */
export async function applyFixes(ctx: DoctorContext): Promise<string[]> {
  const done: string[] = [];
  const pruned = new Set<string>();
  for (const stale of staleWorktrees(ctx)) {
    if (stale.why === 'its folder is gone') {
      if (pruned.has(stale.repo.path)) continue;
      pruned.add(stale.repo.path);
      const prune = await gitOutcome(stale.repo.path, ['worktree', 'prune']);
      done.push(prune.code === 0 ? `pruned worktrees of ${stale.repo.repo.id} whose folders are gone` : `could not prune ${stale.repo.repo.id}: ${prune.stderr.trim()}`);
      continue;
    }
    const removed = await gitOutcome(stale.repo.path, ['worktree', 'remove', stale.path]);
    done.push(
      removed.code === 0 ? `removed worktree ${stale.path} (${stale.why})` : `kept worktree ${stale.path}: ${removed.stderr.trim().split('\n')[0]} (remove it by hand if nothing in it matters)`,
    );
  }
  for (const r of ctx.repos) {
    for (const file of removeStaleIndexLocks(r.staleIndexLocks)) done.push(`removed ${file} of ${r.repo.id} (no git process held it)`);
  }
  for (const r of ctx.repos) {
    if (!r.primary?.behind) continue;
    const followed = await followMain({ checkout: r.path, ...r.primary.behind });
    done.push(followed.ok ? `fast-forwarded ${r.repo.id}: ${followed.message}` : followed.message);
  }
  for (const orphan of orphanBranches(ctx)) {
    if (orphan.state !== 'merged' && orphan.state !== 'archived') continue;
    const deleted = await gitOutcome(orphan.repo.path, ['branch', '-D', '--quiet', orphan.branch]);
    done.push(deleted.code === 0 ? `deleted branch ${orphan.branch} of ${orphan.repo.repo.id} (${orphan.ticket} is merged)` : `could not delete ${orphan.branch}: ${deleted.stderr.trim()}`);
  }
  for (const lock of workspaceLocks(ctx)) {
    if (!lock.dead) continue;
    // Through the lock's own takeover (it never removes a lock someone took meanwhile), then let go.
    const taker = new FileLock(lock.file);
    const taken = taker.tryAcquire();
    if (!taken.ok) continue;
    taker.release();
    done.push(`released ${path.basename(lock.file)} (${lock.why ?? `its holder, pid ${lock.holder?.pid ?? 'unknown'}, is gone`})`);
  }
  if (ctx.state.log.damaged.length > 0 || ctx.state.log.gaps.some((g) => g.damaged.length >= g.next - g.after - 1)) {
    // Damaged lines (not lost writes: those need a person's `master repair`) are quarantined and recorded.
    const { repairWorkspace } = await import('../state/repair.js');
    const repaired = await repairWorkspace(ctx.paths, { acceptLost: false });
    if (repaired.recorded > 0)
      done.push(
        `quarantined and recorded ${repaired.recorded} damaged event-log line${repaired.recorded === 1 ? '' : 's'} or gap${repaired.recorded === 1 ? '' : 's'} (copies in ${ctx.paths.quarantine})`,
      );
  }
  return done;
}
