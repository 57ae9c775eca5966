import path from 'node:path';
import { GATE_WORKTREE } from '../../git/gatePaths.js';
import { isInside } from '../../guards/pathPolicy.js';
import type { RepoFacts } from '../facts/repos.js';
import { notChecked, pass, type CheckGroup, type CheckResult, type DoctorContext } from '../types.js';

const TICKET_BRANCH = /^master\/(T-\d+)$/;
const TICKET_FOLDER = /^T-\d+$/;

/** A worktree nothing needs any more, and why. */
export interface StaleWorktree {
  repo: RepoFacts;
  path: string;
  why: string;
}

function ticketState(ctx: DoctorContext, id: string): string | null {
  const hot = ctx.state.state.tickets[id];
  if (hot) return hot.state;
  return ctx.state.state.archived[id] ? 'archived' : null;
}

/** Worktrees of the registry's repos that nothing needs: gone folders, finished or unknown tickets. */
export function staleWorktrees(ctx: DoctorContext): StaleWorktree[] {
  const stale: StaleWorktree[] = [];
  for (const repo of ctx.repos) {
    for (const worktree of repo.worktrees.slice(1)) {
      if (worktree.prunable) {
        stale.push({ repo, path: worktree.path, why: 'its folder is gone' });
        continue;
      }
      if (!isInside(path.resolve(worktree.path), ctx.paths.worktrees)) continue;
      const name = path.basename(worktree.path);
      // The repo queue's gate worktree stays between runs (a dead gate's leftovers are reset on its next use).
      if (name === GATE_WORKTREE) continue;
      if (!TICKET_FOLDER.test(name)) continue;
      const state = ticketState(ctx, name);
      if (state === null || state === 'merged' || state === 'cancelled' || state === 'archived') {
        stale.push({ repo, path: worktree.path, why: state ? `${name} is ${state}` : `no ticket ${name} exists` });
      }
    }
  }
  return stale;
}

/** Ticket branches whose ticket is unknown or closed (merged, cancelled, archived): nothing will gate them again. */
export function orphanBranches(ctx: DoctorContext): Array<{ repo: RepoFacts; branch: string; ticket: string; state: string | null }> {
  const out: Array<{ repo: RepoFacts; branch: string; ticket: string; state: string | null }> = [];
  for (const repo of ctx.repos) {
    for (const branch of repo.ticketBranches) {
      const match = TICKET_BRANCH.exec(branch.name);
      if (!match) continue;
      const state = ticketState(ctx, match[1]!);
      if (state === null || state === 'merged' || state === 'cancelled' || state === 'archived') out.push({ repo, branch: branch.name, ticket: match[1]!, state });
    }
  }
  return out;
}

function list(items: string[], max = 4): string {
  return items.length > max ? `${items.slice(0, max).join('; ')}; and ${items.length - max} more` : items.join('; ');
}

/** The registry's repos on disk: present, with main branches, sane checkouts, no stale worktrees or orphan branches. */
export const repoChecks: CheckGroup = (ctx) => {
  const ids = ['repos.present', 'repos.main-branch', 'repos.checkouts', 'worktrees.stale', 'branches.orphan'];
  const titles = ['every repo path exists and is a git repo', "every repo's main branch exists", 'primary checkouts are in a usable state', 'no stale worktrees', 'no orphan ticket branches'];
  if (!ctx.registry) return ids.map((id, i) => notChecked(id, titles[i]!, ctx.registryError));
  const results: CheckResult[] = [];

  const absent = ctx.repos.filter((r) => r.problem && (r.problem.kind === 'missing' || r.problem.kind === 'not-a-repo'));
  results.push(
    absent.length === 0
      ? pass(ids[0]!, titles[0]!, `${ctx.repos.length} repos found`)
      : {
          id: ids[0]!,
          title: titles[0]!,
          status: 'fail',
          message: list(absent.map((r) => r.problem!.message)),
          // No ticket: an agent cannot work in a repo that is not there; only the operator can clone it.
          fix: 'clone each repo to its path, or fix its "path" in registry.json',
        },
  );

  const noMain = ctx.repos.filter((r) => r.problem && r.problem.kind !== 'missing' && r.problem.kind !== 'not-a-repo');
  results.push(
    noMain.length === 0
      ? pass(ids[1]!, titles[1]!, absent.length ? `every repo that exists has its main branch` : `${ctx.repos.length} main branches found`)
      : {
          id: ids[1]!,
          title: titles[1]!,
          status: 'fail',
          message: list(noMain.map((r) => r.problem!.message)),
          fix: 'create the branch, or set the repo\'s "mainBranch" in registry.json',
        },
  );

  const odd: string[] = [];
  const behind: string[] = [];
  const locks = ctx.repos.flatMap((r) =>
    r.staleIndexLocks.map((file) => `${r.repo.id} has a stale ${file} (no git process holds it: a killed session left it, and every git command there fails until it goes)`),
  );
  for (const r of ctx.repos) {
    if (!r.primary) continue;
    if (r.primary.operation) odd.push(`${r.repo.id} (${r.path}) is in the middle of ${r.primary.operation}`);
    else if (r.primary.behind) {
      // Its "changes" are the merged work shown as deleted: committing or stashing them would undo the merge.
      behind.push(
        `${r.repo.id} (${r.path}) is behind ${r.repo.mainBranch}: its files are ${r.repo.mainBranch} as of ${r.primary.behind.from.slice(0, 10)}, and ${r.repo.mainBranch} moved to ${r.primary.behind.to.slice(0, 10)} (a merge whose checkout update was interrupted); do not commit or stash these changes, that would undo the merge`,
      );
    } else if (r.primary.branch === r.repo.mainBranch && r.primary.dirty.length > 0) {
      odd.push(`${r.repo.id} has ${r.repo.mainBranch} checked out with ${r.primary.dirty.length} uncommitted change${r.primary.dirty.length === 1 ? '' : 's'} (the gate waits for it)`);
    }
  }
  const fixes = [
    ...(locks.length ? ['`master doctor --fix` (or the next `master start`) removes a stale index.lock'] : []),
    ...(behind.length ? ['`master doctor --fix` fast-forwards a checkout that is behind main (so does the merge gate before it merges)'] : []),
    ...(odd.length ? ['finish or abort the operation; commit or stash the changes on main'] : []),
  ];
  results.push(
    odd.length + behind.length + locks.length === 0
      ? pass(ids[2]!, titles[2]!, 'no checkout is mid-operation or holds uncommitted changes on main')
      : { id: ids[2]!, title: titles[2]!, status: 'warn', message: list([...locks, ...behind, ...odd]), fix: fixes.join('; ') },
  );

  const stale = staleWorktrees(ctx);
  results.push(
    stale.length === 0
      ? pass(ids[3]!, titles[3]!, 'every worktree belongs to a live ticket or gate')
      : {
          id: ids[3]!,
          title: titles[3]!,
          status: 'warn',
          message: list(stale.map((s) => `${s.path}: ${s.why}`)),
          fix: '`master doctor --fix` removes them (a worktree with uncommitted changes is kept and named)',
        },
  );

  const orphans = orphanBranches(ctx);
  results.push(
    orphans.length === 0
      ? pass(ids[4]!, titles[4]!, 'every master/T-n branch belongs to a ticket that is still open')
      : {
          id: ids[4]!,
          title: titles[4]!,
          status: 'warn',
          message: list(orphans.map((o) => `${o.repo.repo.id}: ${o.branch} (${o.state ? `ticket ${o.state}` : 'no such ticket'})`)),
          fix: orphans.some((o) => o.state === 'cancelled')
            ? "`master start` removes the worktrees and branches of closed tickets (a cancelled one's unmerged work is kept as a patch under .master/kept/); `master doctor --fix` deletes the branches of merged tickets"
            : '`master doctor --fix` deletes the branches of merged tickets; delete the others with `git branch -D` if nothing needs them',
        },
  );
  return results;
};
