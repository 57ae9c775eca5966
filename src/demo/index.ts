import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { UserError } from '../errors.js';
import { GitRepo, RepoError, headsCheap, type GitAuthor } from '../git/index.js';
import { allRepos, loadRegistryFile, repoPath } from '../registry/load.js';
import type { Registry, Repo } from '../registry/schema.js';
import type { Clock } from '../state/store.js';
import type { Ticket } from '../state/types.js';
import { ignoreDataFolder, installHooks, writeRegistry, ensureWorkspaceFolder } from '../workspace/init.js';
import { openWorkspace } from '../workspace/open.js';
import { packageRoot } from '../workspace/packageRoot.js';
import { workspacePaths, type WorkspacePaths } from '../workspace/paths.js';
import type { DemoRepoTemplate } from './project.js';
import { writeDemoModelScript } from './agentScripts.js';
import { writeDemoWiki } from './wiki.js';
import { DEMO_REPOS } from './repos/index.js';
import { demoRegistry } from './registry.js';
import { DEMO_TICKETS } from './tickets.js';

export { DEMO_REPOS } from './repos/index.js';
export { DEMO_TICKETS, type DemoTicket } from './tickets.js';
export { DEMO_AUTHOR, DEMO_BRANDS, demoRegistry } from './registry.js';
export type { DemoCommit, DemoRepoTemplate } from './project.js';

export interface DemoOptions {
  /** Where to create the workspace; without it, this package's own folder and its registry.json. */
  dir?: string;
  clock?: Clock;
}

/** What `setUpDemo` did; `changed` is false when the workspace was already complete. */
export interface DemoResult {
  home: string;
  registryWritten: boolean;
  hooksInstalled: string[];
  reposCreated: string[];
  reposKept: string[];
  ticketsCreated: Ticket[];
  ticketsKept: number;
  changed: boolean;
}

const DAY_MS = 86_400_000;

function demoReposOf(registry: Registry): Repo[] {
  return allRepos(registry)
    .map(({ repo }) => repo)
    .filter((repo) => DEMO_REPOS[repo.id] !== undefined);
}

/** Loads the workspace's registry if it has one (it must hold every demo repo), else writes the demo registry. */
function ensureRegistry(paths: WorkspacePaths, explicitDir: boolean): { registry: Registry; written: boolean } {
  if (existsSync(paths.registry)) {
    const registry = loadRegistryFile(paths.registry);
    const present = new Set(demoReposOf(registry).map((r) => r.id));
    const lacking = Object.keys(DEMO_REPOS).filter((id) => !present.has(id));
    if (lacking.length > 0) {
      throw new UserError(
        `${paths.registry} is not the demo's registry (it has no repo ${lacking.join(', ')}); ` + 'run `master demo --dir NEW_FOLDER` to create the demo workspace in a folder of its own',
      );
    }
    return { registry, written: false };
  }
  if (!explicitDir) {
    throw new UserError(`${paths.registry} does not exist; run \`master demo --dir DIR\` to create the demo workspace in DIR`);
  }
  ensureWorkspaceFolder(paths.home);
  writeRegistry(paths, demoRegistry('repos'));
  return { registry: loadRegistryFile(paths.registry), written: true };
}

/** Whether a demo repo is already there (kept), absent (to create), or something else is in the way. */
async function repoStatus(home: string, repo: Repo): Promise<'kept' | 'create' | string> {
  const where = repoPath(home, repo);
  try {
    await headsCheap(where, repo.mainBranch, repo.id);
    return 'kept';
  } catch (error) {
    if (error instanceof RepoError && error.kind === 'missing') return 'create';
    const message = error instanceof Error ? error.message : String(error);
    return `${message} (move or delete ${where}, then run \`master demo\` again)`;
  }
}

/** Writes a repo's history into a scratch folder, then moves it into place, so a crash never leaves half a repo. */
async function createRepo(target: string, template: DemoRepoTemplate, author: GitAuthor, now: Date): Promise<void> {
  const scratch = `${target}.creating-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  const repo = await GitRepo.init(scratch, { id: template.id });
  const count = template.commits.length;
  for (const [index, commit] of template.commits.entries()) {
    for (const [name, content] of Object.entries(commit.files)) {
      const file = path.join(scratch, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    }
    // Backdated, a minute apart within a day, so history reads in order.
    const date = new Date(now.getTime() - commit.daysAgo * DAY_MS - (count - index) * 60_000);
    await repo.commitAll(commit.message, author, { date });
  }
  try {
    renameSync(scratch, target);
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    // Another run created it meanwhile: that one is as good as ours.
    if (!existsSync(target)) throw error;
  }
}

function gitignoreText(home: string): string {
  const file = path.join(home, '.gitignore');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/**
 * Creates what is missing of the demo workspace: registry, hooks, the nine
 * repos with their history, the seeded tickets and the first wiki pages. Running it again on a
 * complete workspace changes nothing.
 */
export async function setUpDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const clock = options.clock ?? (() => new Date());
  const home = path.resolve(options.dir ?? packageRoot());
  const paths = workspacePaths(home);
  const { registry, written } = ensureRegistry(paths, options.dir !== undefined);

  const repos = demoReposOf(registry);
  const statuses = await Promise.all(repos.map((repo) => repoStatus(home, repo)));
  const blocked = statuses.filter((status) => status !== 'kept' && status !== 'create');
  if (blocked.length > 0) throw new UserError(`cannot set up the demo repos:\n  - ${blocked.join('\n  - ')}`);

  const gitignoreBefore = gitignoreText(home);
  for (const folder of [paths.wiki, paths.events]) mkdirSync(folder, { recursive: true });
  const hooksInstalled = installHooks(paths);
  const scriptWritten = writeDemoModelScript(home, clock().toISOString().slice(0, 10));
  const wikiWritten = writeDemoWiki(paths.wiki);
  ignoreDataFolder(home);
  const gitignoreChanged = gitignoreText(home) !== gitignoreBefore;

  const now = clock();
  const toCreate = repos.filter((_, i) => statuses[i] === 'create');
  const limit = pLimit(3);
  await Promise.all(toCreate.map((repo) => limit(() => createRepo(repoPath(home, repo), DEMO_REPOS[repo.id]!, registry.git.author, now))));

  const ws = await openWorkspace(home, { clock });
  const ticketsCreated: Ticket[] = [];
  let ticketsKept = 0;
  try {
    const existing = new Set(ws.tickets.list({ all: true }).map((t) => `${t.brand}/${t.repo}/${t.title}`));
    const present = new Set(repos.map((r) => r.id));
    for (const seed of DEMO_TICKETS) {
      if (!present.has(seed.repo)) continue;
      if (existing.has(`${seed.brand}/${seed.repo}/${seed.title}`)) {
        ticketsKept++;
        continue;
      }
      ticketsCreated.push(ws.tickets.create({ ...seed, run: seed.run ?? [] }, 'demo'));
    }
  } finally {
    await ws.store.close();
  }

  return {
    home,
    registryWritten: written,
    hooksInstalled,
    reposCreated: toCreate.map((r) => r.id),
    reposKept: repos.filter((_, i) => statuses[i] === 'kept').map((r) => r.id),
    ticketsCreated,
    ticketsKept,
    changed: written || hooksInstalled.length > 0 || scriptWritten || wikiWritten.length > 0 || gitignoreChanged || toCreate.length > 0 || ticketsCreated.length > 0,
  };
}
