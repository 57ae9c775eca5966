import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ticketBranchesFromFiles } from '../doctor/facts/repos.js';
import { errorMessage } from '../errors.js';
import { gitOutcome } from '../git/gate.js';
import { gitDirs } from '../git/refs.js';
import { GitRepo } from '../git/repo.js';
import { keepTicketWork, keptWorkFile, removeTicketWorktree } from '../git/ticketWorktree.js';
import { allRepos, repoPath } from '../registry/load.js';
import type { State } from '../state/types.js';
import type { Workspace } from '../workspace/open.js';

const TICKET_FOLDER = /^T-\d+$/;
const TICKET_BRANCH = /^master\/(T-\d+)$/;

/** Where a closed ticket's unmerged work is kept when its worktree and branch go (relative paths say it in messages). */
export function keptWorkPath(paths: Workspace['paths'], repoId: string, ticketId: string): string {
  return keptWorkFile(paths.data, repoId, ticketId);
}

/** What the sweep did: removed worktrees (`repo/T-n`) and branches (`repo:master/T-n`), and patches it kept. */
export interface SweepResult {
  removed: string[];
  kept: Array<{ ticket: string; repo: string; file: string }>;
}

/** Says where kept work is, relative to the workspace, with how to use it. */
export function keptMessage(home: string, kept: SweepResult['kept']): string {
  return kept.map((k) => `${k.ticket}'s unmerged work is kept in ${path.relative(home, k.file)} (\`git apply\` it in ${k.repo})`).join('; ');
}

/** Merged, cancelled or archived: nothing will run in its worktree or gate its branch again. */
function isClosed(state: State, id: string): boolean {
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
export async function sweepClosedTicketWork(ws: Pick<Workspace, 'paths' | 'registry' | 'store'>, only?: string): Promise<SweepResult> {
  const removed: string[] = [];
  const kept: SweepResult['kept'] = [];
  const state = ws.store.state;
  const closed = (s: State, id: string) => (only === undefined || id === only) && isClosed(s, id);
  const keep = async (repo: { id: string; mainBranch: string }, where: string, id: string, worktree: string | null, branch: string | null) => {
    if (state.tickets[id]?.state === 'merged') return;
    try {
      const file = await keepTicketWork({ where, mainBranch: repo.mainBranch }, keptWorkPath(ws.paths, repo.id, id), worktree, branch);
      if (file) kept.push({ ticket: id, repo: repo.id, file });
    } catch (error) {
      ws.store.notices.push(`could not keep the work of ${id}: ${errorMessage(error)}`);
      throw error;
    }
  };
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
    const keptFrom = new Set<string>();
    for (const name of worktrees) {
      try {
        // The worktree's patch covers its branch's commits too; without it kept, the worktree stays.
        await keep(repo, where, name, path.join(folder, name), null);
        keptFrom.add(name);
        await removeTicketWorktree(git, path.join(folder, name), null);
        removed.push(`${repo.id}/${name}`);
      } catch (error) {
        ws.store.notices.push(`could not remove the worktree ${path.join(folder, name)}: ${errorMessage(error)}`);
      }
    }
    for (const branch of branches) {
      const id = TICKET_BRANCH.exec(branch)![1]!;
      if (!keptFrom.has(id) && !worktrees.includes(id)) {
        try {
          await keep(repo, where, id, null, branch);
        } catch {
          continue; // not deleted: its work could not be kept
        }
      } else if (!keptFrom.has(id)) {
        continue; // its worktree could not be removed, so neither can the branch
      }
      const deleted = await gitOutcome(where, ['branch', '-D', '--quiet', branch]);
      if (deleted.code === 0) removed.push(`${repo.id}:${branch}`);
      else ws.store.notices.push(`could not delete the branch ${branch} of ${repo.id}: ${deleted.stderr.trim()}`);
    }
  }
  return { removed, kept };
}

/**
 * Right after the operator cancels a ticket: its worktree and branch go now,
 * its unmerged work kept as a patch; returns what to tell the operator. A
 * ticket that was running keeps them until its run stops (the agent may
 * still be writing there): the next `master start` sweeps them.
 */
export async function sweepCancelled(ws: Pick<Workspace, 'paths' | 'registry' | 'store'>, ticketId: string, before: string): Promise<string> {
  if (before === 'running')
    return `its worktree and branch are removed by the next \`master start\`, once its run has stopped (uncommitted work is kept under ${path.relative(ws.paths.home, path.join(ws.paths.data, 'kept'))}/)`;
  const swept = await sweepClosedTicketWork(ws, ticketId);
  const parts: string[] = [];
  if (swept.removed.length) parts.push(`removed ${swept.removed.join(', ')}`);
  if (swept.kept.length) parts.push(keptMessage(ws.paths.home, swept.kept));
  return parts.length ? parts.join('; ') : 'it had no worktree or branch';
}
