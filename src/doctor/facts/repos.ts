import { existsSync } from 'node:fs';
import path from 'node:path';
import { RepoError } from '../../git/errors.js';
import { gitOutcome } from '../../git/gate.js';
import { gitDirs, headsCheap } from '../../git/refs.js';
import type { BranchRef, Worktree } from '../../git/repo.js';
import { allRepos, repoPath } from '../../registry/load.js';
import type { Registry, Repo } from '../../registry/schema.js';

/** What the doctor knows of one repo of the registry, gathered with a few git calls run at once. */
export interface RepoFacts {
  brand: string;
  repo: Repo;
  path: string;
  /** Why the repo cannot be used: missing path, not a repo, no main branch. */
  problem: { kind: 'missing' | 'not-a-repo' | 'no-main-branch' | 'git'; message: string } | null;
  mainSha: string | null;
  worktrees: Worktree[];
  /** Branches under `master/` (the tickets' branches). */
  ticketBranches: BranchRef[];
  primary: { branch: string | null; dirty: string[]; operation: string | null } | null;
}

function parseWorktrees(output: string): Worktree[] {
  const list: Worktree[] = [];
  let current: Worktree | null = null;
  for (const line of output.split('\n')) {
    if (line.startsWith('worktree ')) {
      current = { path: line.slice(9), head: null, branch: null, bare: false, locked: false, prunable: false };
      list.push(current);
    } else if (!current) continue;
    else if (line.startsWith('HEAD ')) current.head = line.slice(5);
    else if (line.startsWith('branch ')) current.branch = line.slice(7).replace(/^refs\/heads\//, '');
    else if (line === 'bare') current.bare = true;
    else if (line.startsWith('locked')) current.locked = true;
    else if (line.startsWith('prunable')) current.prunable = true;
  }
  return list;
}

function operationInProgress(gitDir: string): string | null {
  if (existsSync(path.join(gitDir, 'rebase-merge')) || existsSync(path.join(gitDir, 'rebase-apply'))) return 'a rebase';
  if (existsSync(path.join(gitDir, 'MERGE_HEAD'))) return 'a merge';
  if (existsSync(path.join(gitDir, 'CHERRY_PICK_HEAD'))) return 'a cherry-pick';
  if (existsSync(path.join(gitDir, 'REVERT_HEAD'))) return 'a revert';
  if (existsSync(path.join(gitDir, 'BISECT_LOG'))) return 'a bisect';
  return null;
}

async function repoFacts(home: string, brand: string, repo: Repo): Promise<RepoFacts> {
  const where = repoPath(home, repo);
  const facts: RepoFacts = { brand, repo, path: where, problem: null, mainSha: null, worktrees: [], ticketBranches: [], primary: null };
  let gitDir: string;
  try {
    gitDir = (await gitDirs(where, repo.id)).gitDir;
  } catch (error) {
    facts.problem = error instanceof RepoError ? { kind: error.kind, message: error.message } : { kind: 'git', message: String(error) };
    return facts;
  }
  const [main, worktrees, branches, status] = await Promise.all([
    headsCheap(where, repo.mainBranch, repo.id).catch((error: unknown) => error as Error),
    gitOutcome(where, ['worktree', 'list', '--porcelain']),
    gitOutcome(where, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/master/']),
    gitOutcome(where, ['status', '--porcelain=v1', '--untracked-files=normal']),
  ]);
  if (main instanceof Error) facts.problem = { kind: main instanceof RepoError ? main.kind : 'git', message: main.message };
  else facts.mainSha = main;
  facts.worktrees = parseWorktrees(worktrees.stdout);
  facts.ticketBranches = branches.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ sha: line.slice(0, line.indexOf(' ')), name: line.slice(line.indexOf(' ') + 1).replace(/^refs\/heads\//, '') }));
  const primary = facts.worktrees[0];
  facts.primary = {
    branch: primary?.branch ?? null,
    dirty: status.code === 0 ? status.stdout.split('\n').filter(Boolean) : [],
    operation: operationInProgress(gitDir),
  };
  return facts;
}

/** Facts of every repo of the registry, all repos at once. */
export function gatherRepoFacts(home: string, registry: Registry | null): Promise<RepoFacts[]> {
  if (!registry) return Promise.resolve([]);
  return Promise.all(allRepos(registry).map(({ brand, repo }) => repoFacts(home, brand.id, repo)));
}
