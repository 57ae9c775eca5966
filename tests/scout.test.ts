import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Bus } from '../src/bus/index.js';
import type { PhaseContext } from '../src/loop/phase.js';
import { scoutPhase } from '../src/loop/phases/scout.js';
import { anythingMoved, scoutWorkspace, type ScoutResult } from '../src/scout/index.js';
import { openWorkspace, type Workspace } from '../src/workspace/open.js';
import { master } from './helpers/cli.js';
import { git, makeRepo, makeWorkspace } from './helpers/workspace.js';

const opened: Workspace[] = [];
afterEach(async () => {
  for (const ws of opened.splice(0)) await ws.store.close();
});

async function open(home: string, now: () => Date): Promise<Workspace> {
  const ws = await openWorkspace(home, { clock: now });
  opened.push(ws);
  return ws;
}

function context(ws: Workspace, now: () => Date): PhaseContext {
  return { ws, bus: new Bus(now), sessionId: 'S-1', startedAt: now().toISOString(), clock: now, signal: new AbortController().signal, ci: true, results: {} };
}

function recordScout(ws: Workspace, result: unknown): void {
  ws.store.commit(() => ({
    events: [
      { type: 'phase.start', session: 'S-1', phase: 'scout' },
      { type: 'phase.end', session: 'S-1', phase: 'scout', ok: true, result },
    ],
    result: undefined,
  }));
}

function commit(dir: string, file: string, message: string): string {
  writeFileSync(path.join(dir, file), `${message}\n`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

function threeRepoWorkspace(): string {
  const home = makeWorkspace({
    timezone: 'Europe/Berlin',
    brands: [
      {
        id: 'alpha',
        name: 'Alpha',
        repos: [
          { id: 'alpha-app', path: 'repos/alpha-app' },
          { id: 'alpha-web', path: 'repos/alpha-web' },
        ],
      },
      { id: 'beta', name: 'Beta', silo: true, repos: [{ id: 'beta-app', path: 'repos/beta-app' }] },
    ],
  });
  for (const id of ['alpha-app', 'alpha-web', 'beta-app']) makeRepo(path.join(home, 'repos', id));
  return home;
}

describe('scout phase', () => {
  it('runs first, then skips with a reason until a commit lands, then reports exactly that commit', async () => {
    const home = threeRepoWorkspace();
    let now = new Date('2025-03-04T09:42:00Z'); // 10:42 in Berlin
    const clock = () => now;
    const ws = await open(home, clock);

    const first = await scoutPhase.shouldRun(context(ws, clock));
    expect(first).toEqual({ run: true, reason: 'scout: first run in this workspace' });
    const ran = await scoutPhase.run(context(ws, clock));
    expect(ran.ok).toBe(true);
    const firstResult = ran.result as ScoutResult;
    expect(Object.keys(firstResult.heads).sort()).toEqual(['alpha-app', 'alpha-web', 'beta-app']);
    expect(firstResult.briefings.map((b) => b.brand)).toEqual(['alpha', 'beta']);
    expect(firstResult.briefings[0]!.repos[0]!.newCommits.map((c) => c.subject)).toEqual(['initial commit']);
    recordScout(ws, ran.result);

    now = new Date('2025-03-04T11:00:00Z');
    const skip = await scoutPhase.shouldRun(context(ws, clock));
    expect(skip).toEqual({ run: false, reason: 'skip scout: no new commits in 3 tracked repos since 10:42' });

    const sha = commit(path.join(home, 'repos/alpha-web'), 'page.txt', 'Add the landing page');
    const moved = await scoutPhase.shouldRun(context(ws, clock));
    expect(moved.run).toBe(true);
    expect(moved.reason).toBe('scout: 1 tracked repo moved since 10:42 (alpha-web)');

    const second = (await scoutPhase.run(context(ws, clock))).result as ScoutResult;
    const reports = second.briefings.flatMap((b) => b.repos);
    const web = reports.find((r) => r.repo === 'alpha-web')!;
    expect(web.newCommits).toHaveLength(1);
    expect(web.newCommits[0]).toMatchObject({ sha, subject: 'Add the landing page', filesChanged: 1, insertions: 1 });
    expect(web.firstLook).toBe(false);
    for (const other of reports.filter((r) => r.repo !== 'alpha-web')) expect(other.newCommits).toEqual([]);
    expect(second.briefings[0]!.markdown).toContain('Add the landing page');
    expect(second.summary).toContain('1 new commit in 1 repo');
    expect(second.heads['alpha-web']).toBe(sha);
    recordScout(ws, second);

    // The next day, the reason names the date.
    now = new Date('2025-03-05T08:00:00Z');
    const nextDay = await scoutPhase.shouldRun(context(ws, clock));
    expect(nextDay.run).toBe(false);
    expect(nextDay.reason).toMatch(/^skip scout: no new commits in 3 tracked repos since 2025-03-04 \d\d:\d\d$/);
  });
});

describe('scoutWorkspace', () => {
  it('reports a missing path, a folder that is not a repo and a missing main branch, and scouts the rest', async () => {
    const home = makeWorkspace({
      brands: [
        {
          id: 'alpha',
          name: 'Alpha',
          repos: [
            { id: 'good', path: 'repos/good' },
            { id: 'gone', path: 'repos/gone' },
            { id: 'plain', path: 'repos/plain' },
            { id: 'trunkless', path: 'repos/trunkless', mainBranch: 'trunk' },
          ],
        },
      ],
    });
    makeRepo(path.join(home, 'repos/good'));
    mkdirSync(path.join(home, 'repos/plain'), { recursive: true });
    makeRepo(path.join(home, 'repos/trunkless'));
    const ws = await open(home, () => new Date());

    const result = await scoutWorkspace(ws, undefined);
    expect(result.briefings[0]!.repos.map((r) => r.repo)).toEqual(['good']);
    expect(Object.keys(result.heads)).toEqual(['good']);
    const kinds = Object.fromEntries(result.errors.map((e) => [e.repo, e.kind]));
    expect(kinds).toEqual({ gone: 'missing', plain: 'not-a-repo', trunkless: 'no-main-branch' });
    for (const error of result.errors) expect(error.message).toContain('registry.json');
    expect(result.briefings[0]!.markdown).toMatch(/\*\*gone\*\*: cannot scout: .*does not exist/);
    expect(result.summary).toContain('3 repos could not be read');

    const check = await anythingMoved(ws, result.heads);
    expect(check).toMatchObject({ tracked: 4, moved: [], broke: [] });
    expect(check.errors.map((e) => e.repo).sort()).toEqual(['gone', 'plain', 'trunkless']);
    // A repo that was fine and breaks counts as a change worth a scout.
    expect((await anythingMoved(ws, { ...result.heads, gone: 'a'.repeat(40) })).broke).toEqual(['gone']);
  });

  it('shows dirty files, ticket branches with ahead/behind, their worktrees and stale worktrees', async () => {
    const home = threeRepoWorkspace();
    const dir = path.join(home, 'repos/alpha-app');
    const worktree = path.join(home, '.master/worktrees/T-7');
    git(dir, 'worktree', 'add', '-q', '-b', 'master/T-7', worktree, 'main');
    commit(worktree, 'feature.txt', 'Ticket work');
    commit(worktree, 'feature2.txt', 'More ticket work');
    commit(dir, 'main.txt', 'Main moves on');
    git(dir, 'branch', 'master/T-9', 'main');
    git(dir, 'branch', 'feature/unrelated', 'main');
    writeFileSync(path.join(dir, 'notes.txt'), 'wip\n');
    const web = path.join(home, 'repos/alpha-web');
    const stale = path.join(home, '.master/worktrees/old');
    git(web, 'worktree', 'add', '-q', '-b', 'spike', stale, 'main');
    rmSync(stale, { recursive: true, force: true });
    const ws = await open(home, () => new Date());

    const result = await scoutWorkspace(ws, undefined);
    const report = result.briefings[0]!.repos.find((r) => r.repo === 'alpha-app')!;
    expect(report.dirty).toEqual([{ path: 'notes.txt', status: '??' }]);
    expect(report.ticketBranches).toEqual([
      expect.objectContaining({ branch: 'master/T-7', ticket: 'T-7', ahead: 2, behind: 1, worktree }),
      expect.objectContaining({ branch: 'master/T-9', ticket: 'T-9', ahead: 0, behind: 0, worktree: null }),
    ]);
    expect(report.worktrees).toEqual([expect.objectContaining({ path: worktree, branch: 'master/T-7', prunable: false })]);
    const markdown = result.briefings[0]!.markdown;
    expect(markdown).toContain('master/T-7: 2 ahead, 1 behind main, worktree .master/worktrees/T-7');
    expect(markdown).toContain('uncommitted: notes.txt');
    expect(result.briefings[0]!.repos.find((r) => r.repo === 'alpha-web')!.worktrees).toEqual([expect.objectContaining({ branch: 'spike', prunable: true })]);
    expect(markdown).toContain('stale worktree (folder gone; `git worktree prune`) .master/worktrees/old on spike');
    expect(result.briefings[1]!.markdown).toMatch(/^## Beta \(silo\)/);
  });
});

describe('master scout (CLI)', () => {
  beforeAll(() => {
    const build = master(['--version']);
    if (build.code !== 0) throw new Error('build the CLI first: npm run build');
  });

  it('prints the briefing, records the run in state, and reports only new commits next time', () => {
    const home = threeRepoWorkspace();
    const first = master(['scout', '--home', home]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('# Scout: scouted 3 repos in 2 brands');
    expect(first.stdout).toContain('## Alpha');
    expect(first.stdout).toContain('initial commit');

    commit(path.join(home, 'repos/beta-app'), 'x.txt', 'Tune the beta engine');
    const second = master(['scout', '--json', '--home', home]);
    expect(second.code).toBe(0);
    const result = JSON.parse(second.stdout) as ScoutResult;
    const moved = result.briefings.flatMap((b) => b.repos).filter((r) => r.newCommits.length > 0);
    expect(moved.map((r) => [r.repo, r.newCommits.map((c) => c.subject)])).toEqual([['beta-app', ['Tune the beta engine']]]);

    const eventsDir = path.join(home, '.master/events');
    const events = readdirSync(eventsDir)
      .filter((name) => name.endsWith('.ndjson'))
      .sort()
      .flatMap((name) => readFileSync(path.join(eventsDir, name), 'utf8').trim().split('\n'))
      .map((line) => JSON.parse(line) as { type: string; session?: string; phase?: string; ok?: boolean });
    expect(events.map((e) => `${e.type}:${e.session}:${e.phase}`)).toEqual(['phase.start:cli:scout', 'phase.end:cli:scout', 'phase.start:cli:scout', 'phase.end:cli:scout']);
    expect(events.every((e) => e.type !== 'phase.end' || e.ok === true)).toBe(true);
  });
});
