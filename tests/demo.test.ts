import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REPOS, DEMO_TICKETS, demoRegistry, setUpDemo } from '../src/demo/index.js';
import { UserError } from '../src/errors.js';
import { parseRegistry } from '../src/registry/load.js';
import type { ScoutResult } from '../src/scout/index.js';
import type { Ticket } from '../src/state/types.js';
import { ROOT, master, tempDir } from './helpers/cli.js';
import { git } from './helpers/workspace.js';

/** A machine with no git identity: an empty HOME and no system config. */
function bareEnv(): NodeJS.ProcessEnv {
  const home = tempDir('demo-home-');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
  for (const key of Object.keys(env)) {
    if (key.startsWith('GIT_AUTHOR') || key.startsWith('GIT_COMMITTER') || key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete env[key];
  }
  return env;
}

function check(dir: string, command: string[]): 'pass' | 'fail' {
  const result = spawnSync(command[0]!, command.slice(1), { cwd: dir, env: bareEnv(), encoding: 'utf8', timeout: 60_000 });
  return result.status === 0 ? 'pass' : 'fail';
}

function snapshotOf(home: string): string {
  const events = path.join(home, '.master/events');
  const logs = existsSync(events) ? readdirSync(events).map((f) => readFileSync(path.join(events, f), 'utf8')) : [];
  const heads = Object.keys(DEMO_REPOS).map((id) => git(path.join(home, 'repos', id), 'rev-parse', 'HEAD'));
  return JSON.stringify({ registry: readFileSync(path.join(home, 'registry.json'), 'utf8'), logs, heads });
}

describe('master demo --dir', () => {
  let home: string;
  let firstRun: ReturnType<typeof master>;
  const env = bareEnv();

  beforeAll(() => {
    home = path.join(tempDir('demo-'), 'workspace');
    firstRun = master(['demo', '--dir', home], { env });
  });

  it('creates nine real repos with history by the registry author, on a machine with no git identity', () => {
    expect(firstRun.stderr).toBe('');
    expect(firstRun.code).toBe(0);
    expect(firstRun.stdout).toContain('created 9');
    expect(firstRun.stdout).toContain('seeded 9 (5 ready, 4 in triage)');
    const registry = JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8'));
    expect(registry.brands.map((b: { id: string }) => b.id)).toEqual(['sandbox', 'umano', 'violetstudios', 'suite52', 'blockwise', 'maxproduct', 'personal']);
    expect(registry.models.provider).toBe('scripted');
    for (const id of Object.keys(DEMO_REPOS)) {
      const dir = path.join(home, 'repos', id);
      expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('main');
      const authors = git(dir, 'log', '--format=%an <%ae>|%cn').split('\n');
      expect(authors.length).toBeGreaterThanOrEqual(3);
      for (const line of authors) expect(line).toBe('Master OS Demo <demo@master-os.invalid>|Master OS Demo');
      expect(git(dir, 'status', '--porcelain')).toBe('');
    }
    expect(readFileSync(path.join(home, '.gitignore'), 'utf8')).toContain('.master/');
  });

  it('has checks that pass or fail as designed, run for real', () => {
    const outcomes = Object.fromEntries(
      Object.keys(DEMO_REPOS).map((id) => {
        const dir = path.join(home, 'repos', id);
        return [id, { test: check(dir, ['node', '--test']), lint: check(dir, ['node', 'scripts/lint.mjs']) }];
      }),
    );
    expect(outcomes).toEqual(Object.fromEntries(Object.values(DEMO_REPOS).map((t) => [t.id, t.checks])));
    // The waiting work is real: some repos fail.
    expect(Object.values(outcomes).filter((o) => o.test === 'fail')).toHaveLength(3);
    expect(Object.values(outcomes).filter((o) => o.lint === 'fail')).toHaveLength(1);
  });

  it('seeds tickets in triage and ready, including script tickets whose commands really do the work', () => {
    const list = master(['ticket', 'list', '--json', '--home', home], { env });
    expect(list.code).toBe(0);
    const tickets = JSON.parse(list.stdout) as Ticket[];
    expect(tickets.map((t) => [t.repo, t.title, t.kind, t.state])).toEqual(DEMO_TICKETS.map((t) => [t.repo, t.title, t.kind, t.state]));
    expect(tickets.filter((t) => t.state === 'triage').length).toBeGreaterThan(0);
    const scripts = tickets.filter((t) => t.kind === 'script');
    expect(scripts.length).toBeGreaterThanOrEqual(3);

    for (const ticket of scripts) {
      // In a clone, as an executor would work in a worktree.
      const clone = path.join(tempDir('demo-script-'), ticket.repo);
      git(path.dirname(clone), 'clone', '-q', path.join(home, 'repos', ticket.repo), clone);
      for (const command of ticket.run) {
        const ran = spawnSync('/bin/sh', ['-c', command], { cwd: clone, env: bareEnv(), encoding: 'utf8' });
        expect(ran.stderr).toBe('');
        expect(ran.status).toBe(0);
      }
      expect(git(clone, 'status', '--porcelain')).not.toBe('');
      expect(check(clone, ['node', '--test'])).toBe('pass');
      expect(check(clone, ['node', 'scripts/lint.mjs'])).toBe('pass');
    }
  });

  it('changes nothing on a second run, and says so', () => {
    const before = snapshotOf(home);
    const again = master(['demo', '--dir', home], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already complete (9 repos, 9 seeded tickets); nothing changed');
    expect(snapshotOf(home)).toBe(before);
  });

  it('is ready to scout: every repo read, no errors', () => {
    const scout = master(['scout', '--json', '--home', home], { env });
    expect(scout.code).toBe(0);
    const result = JSON.parse(scout.stdout) as ScoutResult;
    expect(result.errors).toEqual([]);
    expect(Object.keys(result.heads)).toHaveLength(9);
    expect(result.briefings.find((b) => b.brand === 'blockwise')!.silo).toBe(true);
  });
});

describe('setUpDemo', () => {
  it("matches the brands and repos of this repository's own registry.json", () => {
    const own = parseRegistry(JSON.parse(readFileSync(path.join(ROOT, 'registry.json'), 'utf8')), 'registry.json');
    const demo = parseRegistry(demoRegistry('.master/demo/repos'), 'demo');
    expect({ ...demo, $schema: undefined }).toEqual({ ...own, $schema: undefined });
  });

  it('uses an existing demo registry as it is, creating repos where its paths point', async () => {
    const home = tempDir('demo-root-');
    cpSync(path.join(ROOT, 'registry.json'), path.join(home, 'registry.json'));
    const result = await setUpDemo({ dir: home });
    expect(result).toMatchObject({ registryWritten: false, changed: true });
    expect(result.reposCreated).toHaveLength(9);
    expect(existsSync(path.join(home, '.master/demo/repos/blockwise-engine/.git'))).toBe(true);
    const again = await setUpDemo({ dir: home });
    expect(again).toMatchObject({ changed: false, reposCreated: [], ticketsKept: 9, ticketsCreated: [] });
  });

  it("refuses a registry that is not the demo's, and a path taken by something else, before writing anything", async () => {
    const other = tempDir('demo-other-');
    writeFileSync(path.join(other, 'registry.json'), JSON.stringify({ brands: [] }));
    await expect(setUpDemo({ dir: other })).rejects.toThrow(/not the demo's registry.*--dir NEW_FOLDER/);
    expect(existsSync(path.join(other, '.master'))).toBe(false);

    const taken = tempDir('demo-taken-');
    cpSync(path.join(ROOT, 'registry.json'), path.join(taken, 'registry.json'));
    const blocker = path.join(taken, '.master/demo/repos/umano-label');
    mkdirSync(blocker, { recursive: true });
    writeFileSync(path.join(blocker, 'notes.txt'), 'mine\n');
    const refused = setUpDemo({ dir: taken });
    await expect(refused).rejects.toBeInstanceOf(UserError);
    await expect(refused).rejects.toThrow(/umano-label: .*not a git repository.*move or delete/);
    expect(existsSync(path.join(taken, '.master/demo/repos/sandbox-content'))).toBe(false);
  });
});
