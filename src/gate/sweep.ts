import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ticketBranchesFromFiles } from '../doctor/facts/repos.js';
import { errorMessage } from '../errors.js';
import { gitOutcome } from '../git/gate.js';
import { gitDirs } from '../git/refs.js';
import { GitRepo } from '../git/repo.js';
import { removeTicketWorktree } from '../git/ticketWorktree.js';
import { allRepos, repoPath } from '../registry/load.js';
import type { State } from '../state/types.js';
import type { Workspace } from '../workspace/open.js';

const TICKET_FOLDER = /^T-\d+$/;
const TICKET_BRANCH = /^master\/(T-\d+)$/;

/** Merged, cancelled or archived: nothing will run in its worktree or gate its branch again. */
function closed(state: State, id: string): boolean {
  const ticket = state.tickets[id];
  if (ticket) return ticket.state === 'merged' || ticket.state === 'cancelled';
  return Boolean(state.archived[id]);
}

/**
 * Removes the worktrees and branches of closed tickets, as a session starts:
 * a session killed after `merge` (or a cancel) but before its cleanup leaves
 * them, and nothing else would sweep them until a ticket is ready again.
 * Reads folders and ref files first, so an idle workspace runs no git.
 * Returns what it removed (`repo/T-n` and `repo:master/T-n`).
 */
export async function sweepClosedTicketWork(ws: Pick<Workspace, 'paths' | 'registry' | 'store'>): Promise<string[]> {
  const removed: string[] = [];
  const state = ws.store.state;
  for (const { repo } of allRepos(ws.registry)) {
    const where = repoPath(ws.paths.home, repo);
    let commonDir: string;
    try {
      ({ commonDir } = await gitDirs(where, repo.id));
    } catch {
      continue; // the doctor reports a missing repo
    }
    const folder = path.join(ws.paths.worktrees, repo.id);
    const worktrees = existsSync(folder) ? readdirSync(folder).filter((name) => TICKET_FOLDER.test(name) && closed(state, name)) : [];
    const listed = existsSync(path.join(commonDir, 'reftable'))
      ? (await gitOutcome(where, ['for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/master/'])).stdout.split('\n').filter(Boolean)
      : (await ticketBranchesFromFiles(commonDir)).map((b) => b.name);
    const branches = listed.filter((name) => {
      const match = TICKET_BRANCH.exec(name);
      return match !== null && closed(state, match[1]!);
    });
    if (worktrees.length === 0 && branches.length === 0) continue;
    const git = await GitRepo.open(where, { id: repo.id, mainBranch: repo.mainBranch });
    // Worktrees first: git keeps a branch that a worktree has checked out.
    for (const name of worktrees) {
      try {
        await removeTicketWorktree(git, path.join(folder, name), null);
        removed.push(`${repo.id}/${name}`);
      } catch (error) {
        ws.store.notices.push(`could not remove the worktree ${path.join(folder, name)}: ${errorMessage(error)}`);
      }
    }
    for (const branch of branches) {
      const deleted = await gitOutcome(where, ['branch', '-D', '--quiet', branch]);
      if (deleted.code === 0) removed.push(`${repo.id}:${branch}`);
      else ws.store.notices.push(`could not delete the branch ${branch} of ${repo.id}: ${deleted.stderr.trim()}`);
    }
  }
  return removed;
}
