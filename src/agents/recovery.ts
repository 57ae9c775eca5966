import { existsSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { removePrivateTemp } from '../sandbox/index.js';
import { errorMessage } from '../errors.js';
import { GitRepo } from '../git/repo.js';
import { keepTicketWork, keptWorkFile, removeTicketWorktree } from '../git/ticketWorktree.js';
import { allRepos, repoPath } from '../registry/load.js';
import { processAlive } from '../state/lock.js';
import type { Ticket, TicketState } from '../state/types.js';
import { TransitionError } from '../tickets/index.js';
import type { Workspace } from '../workspace/open.js';
import { mergeContract } from './contracts.js';
import { activeRuns, ticketBranch } from './executor.js';

/**
 * Whether a running ticket's run has lost its owner: a dead pid on this host,
 * our own pid with no such run in flight, or a run of another host (a
 * container restarted with the same workspace has a new name) older than any
 * run may last.
 */
function ownerGone(ticket: Ticket, maxRunMs: number, now: number): { gone: boolean; why: string } {
  const run = ticket.runs.at(-1);
  if (!run) return { gone: true, why: 'it has no run record' };
  if (run.owner.host !== hostname()) {
    const age = now - Date.parse(run.startedAt);
    return age > maxRunMs
      ? { gone: true, why: `its run on host ${run.owner.host} started ${Math.round(age / 60_000)} min ago, longer than any run may last` }
      : { gone: false, why: `its run belongs to host ${run.owner.host}` };
  }
  if (run.owner.pid === process.pid) {
    return activeRuns.has(run.id) ? { gone: false, why: 'running here' } : { gone: true, why: `its run ${run.id} is not in flight in this process` };
  }
  return processAlive(run.owner.pid) ? { gone: false, why: `pid ${run.owner.pid} is alive` } : { gone: true, why: `its owner (pid ${run.owner.pid}) died` };
}

/**
 * Crash recovery: every `running` ticket whose run lost its owner goes back
 * to `ready` (`requeue`); its worktree stays, and the next run continues in it
 * after an answered question or resets it.
 * Returns the requeued ticket ids.
 */
export function recoverRuns(ws: Workspace): string[] {
  ws.store.refresh();
  const requeued: string[] = [];
  // The executor's wall-time limit bounds every run; past it (with a margin) a foreign run is over.
  const maxRunMs = mergeContract(ws.registry, 'executor').maxWallSeconds * 1000 + 10 * 60_000;
  const now = ws.store.clock().getTime();
  for (const ticket of ws.store.ticketsWhere((t) => t.state === 'running')) {
    const owner = ownerGone(ticket, maxRunMs, now);
    if (!owner.gone) continue;
    const note = `recovered: ${owner.why}; back to ready; its next run continues after an answered question, or resets the worktree`;
    const runs = ticket.runs.map((r, i) => (i === ticket.runs.length - 1 && !r.endedAt ? { ...r, endedAt: ws.store.now(), outcome: 'requeued' as const, reason: note } : r));
    try {
      ws.tickets.transition(ticket.id, 'requeue', { by: 'recovery', note, patch: { runs } });
      requeued.push(ticket.id);
    } catch (error) {
      if (!(error instanceof TransitionError)) throw error;
    }
  }
  return requeued;
}

/** States in which a ticket keeps its worktree: running, waiting to run again, or on its way to main. */
const KEEPS_WORKTREE: readonly TicketState[] = ['ready', 'running', 'blocked', 'failed', 'rejected', 'review', 'merging'];

/**
 * Removes ticket worktrees nothing needs any more: of cancelled, merged,
 * archived or unknown tickets, and half-made folders git does not know.
 * A cancelled ticket's branch goes too. Returns what was removed.
 */
export async function sweepWorktrees(ws: Workspace): Promise<string[]> {
  const removed: string[] = [];
  for (const { repo: repoConfig } of allRepos(ws.registry)) {
    const dir = path.join(ws.paths.worktrees, repoConfig.id);
    if (!existsSync(dir)) continue;
    let repo: GitRepo;
    try {
      repo = await GitRepo.open(repoPath(ws.paths.home, repoConfig), { id: repoConfig.id, mainBranch: repoConfig.mainBranch });
    } catch {
      continue;
    }
    let registered: Set<string>;
    try {
      registered = new Set((await repo.worktreeList()).filter((w) => !w.prunable).map((w) => path.resolve(w.path)));
    } catch {
      continue;
    }
    for (const name of readdirSync(dir)) {
      const folder = path.join(dir, name);
      const ticket = ws.store.state.tickets[name];
      const keep = ticket && KEEPS_WORKTREE.includes(ticket.state);
      try {
        if (keep && registered.has(path.resolve(folder))) continue;
        if (keep) {
          // Half-made by a run that died while adding it: the next run makes it again.
          if (ticket.state === 'running') continue;
          await rm(folder, { recursive: true, force: true });
          await repo.worktreePrune();
        } else {
          if (ticket?.state === 'cancelled') {
            // A cancelled ticket's unmerged work is kept (and said) before its worktree and branch go.
            const file = await keepTicketWork({ where: repo.path, mainBranch: repoConfig.mainBranch }, keptWorkFile(ws.paths.data, repoConfig.id, name), folder, null);
            if (file) ws.store.notices.push(`${name}'s unmerged work is kept in ${path.relative(ws.paths.home, file)} (\`git apply\` it in ${repoConfig.id})`);
          }
          await removeTicketWorktree(repo, folder, ticketBranch(name), { deleteBranch: ticket?.state === 'cancelled' });
          removePrivateTemp(ws.paths, name);
        }
        removed.push(`${repoConfig.id}/${name}`);
      } catch (error) {
        ws.store.notices.push(`could not remove the worktree ${folder}: ${errorMessage(error)}`);
      }
    }
  }
  return removed;
}
