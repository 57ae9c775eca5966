import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RepoError } from '../../git/errors.js';
import { gitOutcome } from '../../git/gate.js';
import { indexLocks, staleIndexLocks } from '../../git/indexLock.js';
import { gitDirs, headsCheap } from '../../git/refs.js';
import { trustRepo } from '../../git/safe.js';
import { parseWorktreeList, type BranchRef, type Worktree } from '../../git/repo.js';
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
  primary: {
    branch: string | null;
    dirty: string[];
    operation: string | null;
    /** Main moved and the checkout did not follow (its files are an earlier main): set by the doctor after gathering. */
    behind?: { from: string; to: string } | null;
  } | null;
  /** `index.lock` files of its checkouts that no live git holds (a killed session's). */
  staleIndexLocks: string[];
}

async function text(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

function headOf(content: string | null): { head: string | null; branch: string | null } {
  const value = content?.trim() ?? '';
  if (value.startsWith('ref:'))
    return {
      head: null,
      branch: value
        .slice(4)
        .trim()
        .replace(/^refs\/heads\//, ''),
    };
  return { head: /^[0-9a-f]{40,64}$/.test(value) ? value : null, branch: null };
}

/**
 * `git worktree list` read from the repo's files (no git process): the
 * primary checkout, then each `worktrees/<name>` entry with its folder,
 * HEAD, lock, and whether its folder is gone.
 */
async function worktreesFromFiles(repoPath: string, gitDir: string, commonDir: string): Promise<Worktree[]> {
  const primary = headOf(await text(path.join(commonDir, 'HEAD')));
  const primaryPath = path.basename(commonDir) === '.git' ? path.dirname(commonDir) : gitDir === commonDir ? repoPath : path.dirname(commonDir);
  const list: Worktree[] = [{ path: primaryPath, ...primary, bare: false, locked: false, prunable: false }];
  let names: string[] = [];
  try {
    names = (await readdir(path.join(commonDir, 'worktrees'))).sort();
  } catch {
    return list;
  }
  const linked = await Promise.all(
    names.map(async (name): Promise<Worktree | null> => {
      const admin = path.join(commonDir, 'worktrees', name);
      const gitdirFile = (await text(path.join(admin, 'gitdir')))?.trim();
      if (!gitdirFile) return null;
      const dotGit = path.resolve(admin, gitdirFile);
      return {
        path: path.dirname(dotGit),
        ...headOf(await text(path.join(admin, 'HEAD'))),
        bare: false,
        locked: existsSync(path.join(admin, 'locked')),
        prunable: !existsSync(dotGit),
      };
    }),
  );
  for (const worktree of linked) if (worktree) list.push(worktree);
  return list;
}

/** Branches under `refs/heads/master/` from loose ref files and packed-refs (loose ones win). */
export async function ticketBranchesFromFiles(commonDir: string): Promise<BranchRef[]> {
  const found = new Map<string, string>();
  const packed = (await text(path.join(commonDir, 'packed-refs'))) ?? '';
  for (const line of packed.split('\n')) {
    const match = /^([0-9a-f]{40,64}) refs\/heads\/(master\/.+)$/.exec(line.trim());
    if (match) found.set(match[2]!, match[1]!);
  }
  let loose: string[] = [];
  try {
    loose = await readdir(path.join(commonDir, 'refs', 'heads', 'master'));
  } catch {
    // no loose ticket branches
  }
  await Promise.all(
    loose.map(async (name) => {
      const sha = (await text(path.join(commonDir, 'refs', 'heads', 'master', name)))?.trim();
      if (sha && /^[0-9a-f]{40,64}$/.test(sha)) found.set(`master/${name}`, sha);
    }),
  );
  return [...found].map(([name, sha]) => ({ name, sha })).sort((a, b) => a.name.localeCompare(b.name));
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
  const facts: RepoFacts = { brand, repo, path: where, problem: null, mainSha: null, worktrees: [], ticketBranches: [], primary: null, staleIndexLocks: [] };
  let gitDir: string;
  let commonDir: string;
  try {
    ({ gitDir, commonDir } = await gitDirs(where, repo.id));
  } catch (error) {
    facts.problem = error instanceof RepoError ? { kind: error.kind, message: error.message } : { kind: 'git', message: String(error) };
    return facts;
  }
  // A registry repo: master's own git may work in it (src/git/safe.ts).
  trustRepo(where);
  // Worktrees and ticket branches come from files; a reftable repo (no ref files) asks git.
  const reftable = existsSync(path.join(commonDir, 'reftable'));
  const [main, worktrees, branches, status] = await Promise.all([
    headsCheap(where, repo.mainBranch, repo.id).catch((error: unknown) => error as Error),
    reftable ? gitOutcome(where, ['worktree', 'list', '--porcelain']).then((o) => parseWorktreeList(o.stdout)) : worktreesFromFiles(where, gitDir, commonDir),
    reftable
      ? gitOutcome(where, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/master/']).then((o) =>
          o.stdout
            .split('\n')
            .filter(Boolean)
            .map((line) => ({ sha: line.slice(0, line.indexOf(' ')), name: line.slice(line.indexOf(' ') + 1).replace(/^refs\/heads\//, '') })),
        )
      : ticketBranchesFromFiles(commonDir),
    // No optional locks: a doctor killed mid-status must not leave an index.lock that stops the gate.
    gitOutcome(where, ['--no-optional-locks', 'status', '--porcelain=v1', '--untracked-files=normal']),
  ]);
  if (main instanceof Error) facts.problem = { kind: main instanceof RepoError ? main.kind : 'git', message: main.message };
  else facts.mainSha = main;
  facts.worktrees = worktrees;
  facts.ticketBranches = branches;
  const primary = facts.worktrees[0];
  facts.primary = {
    branch: primary?.branch ?? null,
    dirty: status.code === 0 ? status.stdout.split('\n').filter(Boolean) : [],
    operation: operationInProgress(gitDir),
  };
  facts.staleIndexLocks = staleIndexLocks(indexLocks(commonDir));
  return facts;
}

/** Facts of every repo of the registry, all repos at once. */
export function gatherRepoFacts(home: string, registry: Registry | null): Promise<RepoFacts[]> {
  if (!registry) return Promise.resolve([]);
  return Promise.all(allRepos(registry).map(({ brand, repo }) => repoFacts(home, brand.id, repo)));
}
