import pLimit from 'p-limit';
import { GitRepo, RepoError, headsCheap } from '../git/index.js';
import { errorMessage } from '../errors.js';
import { allRepos, repoPath } from '../registry/load.js';
import type { Brand, Repo } from '../registry/schema.js';
import type { Workspace } from '../workspace/open.js';
import { renderBrand, summarize } from './briefing.js';
import type { BrandBriefing, Heads, MovedCheck, RepoProblem, RepoReport, ScoutResult, TicketBranch } from './types.js';

/** What the scout needs of a workspace: where it is and what it tracks. */
export type ScoutWorkspace = Pick<Workspace, 'paths' | 'registry'>;

export interface ScoutOptions {
  /** Commits listed for a repo seen for the first time. */
  firstLook?: number;
  /** Most new commits listed per repo. */
  maxCommits?: number;
  /** Repos scouted at once. */
  concurrency?: number;
}

const TICKET_BRANCH = /^master\/(T-\d+)$/;

function problemOf(brand: Brand, repo: Repo, home: string, error: unknown): RepoProblem {
  const where = repoPath(home, repo);
  if (error instanceof RepoError) {
    return { brand: brand.id, repo: repo.id, path: where, kind: error.kind, message: error.message };
  }
  return { brand: brand.id, repo: repo.id, path: where, kind: 'git', message: `${repo.id}: ${errorMessage(error)}` };
}

/**
 * Did any tracked main branch move since `previousHeads`? Reads ref files
 * only (no git process, except for reftable repos), every repo at once.
 */
export async function anythingMoved(ws: ScoutWorkspace, previousHeads: Heads | undefined): Promise<MovedCheck> {
  const previous = previousHeads ?? {};
  const repos = allRepos(ws.registry);
  const check: MovedCheck = { tracked: repos.length, moved: [], broke: [], errors: [], heads: {} };
  const outcomes = await Promise.all(
    repos.map(async ({ brand, repo }): Promise<{ repo: Repo; head: string } | { repo: Repo; problem: RepoProblem }> => {
      try {
        return { repo, head: await headsCheap(repoPath(ws.paths.home, repo), repo.mainBranch, repo.id) };
      } catch (error) {
        return { repo, problem: problemOf(brand, repo, ws.paths.home, error) };
      }
    }),
  );
  for (const outcome of outcomes) {
    const id = outcome.repo.id;
    if ('head' in outcome) {
      check.heads[id] = outcome.head;
      if (previous[id] !== outcome.head) check.moved.push(id);
    } else {
      check.errors.push(outcome.problem);
      if (previous[id] !== undefined) check.broke.push(id);
    }
  }
  return check;
}

async function ticketBranches(git: GitRepo, worktrees: RepoReport['worktrees']): Promise<TicketBranch[]> {
  const branches = (await git.branchList('master/')).filter((b) => TICKET_BRANCH.test(b.name));
  return Promise.all(
    branches.map(async (b) => ({
      branch: b.name,
      ticket: TICKET_BRANCH.exec(b.name)![1]!,
      head: b.sha,
      ...(await git.aheadBehind(b.name)),
      worktree: worktrees.find((w) => w.branch === b.name)?.path ?? null,
    })),
  );
}

async function scoutRepo(brand: Brand, repo: Repo, home: string, previous: string | undefined, options: Required<ScoutOptions>): Promise<RepoReport> {
  const where = repoPath(home, repo);
  const git = await GitRepo.open(where, { id: repo.id, mainBranch: repo.mainBranch });
  const head = await headsCheap(where, repo.mainBranch, repo.id);
  const moved = previous !== head;
  const limit = previous ? options.maxCommits : options.firstLook;
  const [newCommits, rewritten, dirty, allWorktrees] = await Promise.all([
    moved ? git.commitsSince(previous ?? null, { limit }) : Promise.resolve([]),
    moved && previous ? git.hasCommit(previous).then(async (has) => !has || !(await git.isAncestor(previous, head))) : Promise.resolve(false),
    git.dirtyFiles(),
    git.worktreeList(),
  ]);
  // The first entry is the primary checkout itself.
  const worktrees = allWorktrees.slice(1).map((w) => ({
    path: w.path,
    branch: w.branch,
    head: w.head,
    prunable: w.prunable,
    locked: w.locked,
  }));
  return {
    brand: brand.id,
    repo: repo.id,
    path: where,
    mainBranch: repo.mainBranch,
    head,
    previousHead: previous ?? null,
    firstLook: !previous,
    rewritten,
    newCommits,
    truncated: previous !== undefined && newCommits.length >= limit,
    dirty,
    worktrees,
    ticketBranches: await ticketBranches(git, worktrees),
  };
}

/**
 * Scouts every repo of every brand in parallel: new commits since
 * `previousHeads` (the latest few on a first look), dirty files, worktrees and
 * ticket branches. A broken repo is reported and the others carry on.
 */
export async function scoutWorkspace(ws: ScoutWorkspace, previousHeads: Heads | undefined, options: ScoutOptions = {}): Promise<ScoutResult> {
  const settings: Required<ScoutOptions> = { firstLook: 5, maxCommits: 50, concurrency: 8, ...options };
  const previous = previousHeads ?? {};
  const limit = pLimit(settings.concurrency);
  const heads: Heads = {};
  const errors: RepoProblem[] = [];
  const briefings: BrandBriefing[] = await Promise.all(
    ws.registry.brands.map(async (brand) => {
      const reports: RepoReport[] = [];
      const problems: RepoProblem[] = [];
      const outcomes = await Promise.all(
        brand.repos.map((repo) =>
          limit(async (): Promise<{ report: RepoReport } | { problem: RepoProblem }> => {
            try {
              return { report: await scoutRepo(brand, repo, ws.paths.home, previous[repo.id], settings) };
            } catch (error) {
              return { problem: problemOf(brand, repo, ws.paths.home, error) };
            }
          }),
        ),
      );
      for (const outcome of outcomes) {
        if ('report' in outcome) reports.push(outcome.report);
        else problems.push(outcome.problem);
      }
      const briefing = { brand: brand.id, name: brand.name, silo: brand.silo, repos: reports, errors: problems };
      return { ...briefing, markdown: renderBrand(briefing, ws.paths.home) };
    }),
  );
  for (const briefing of briefings) {
    for (const report of briefing.repos) heads[report.repo] = report.head;
    errors.push(...briefing.errors);
  }
  const tracked = allRepos(ws.registry).length;
  return { briefings, heads, errors, tracked, summary: summarize(briefings, tracked) };
}
