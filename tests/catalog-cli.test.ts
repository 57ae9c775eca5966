import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BIN, master, tempDir } from './helpers/cli.js';
import { git, makeRepo } from './helpers/workspace.js';

// An operator's own layout: four-space indentation, repos on one line each, keys in their order.
const REGISTRY = `{
    "$schema": "./registry.schema.json",
    "timezone": "UTC",
    "brands": [
        {
            "id": "alpha",
            "name": "Alpha",
            "repos": [
                { "id": "alpha-app", "path": "repos/alpha-app", "mainBranch": "main", "checks": { "test": "true" } }
            ]
        }
    ],
    "dispatch": { "concurrency": 2, "lanesPerBrand": 1 }
}
`;

function workspace(): string {
  const home = tempDir('master-catalog-');
  writeFileSync(path.join(home, 'registry.json'), REGISTRY);
  makeRepo(path.join(home, 'repos/alpha-app'));
  return home;
}

/** Every line of `before` is still in `after`, in order (an item's separating comma aside): the edit only added lines. */
function keptLines(before: string, after: string): boolean {
  const bare = (line: string) => line.replace(/,$/, '');
  const lines = after.split('\n').map(bare);
  let at = 0;
  for (const line of before.split('\n').map(bare)) {
    const found = lines.indexOf(line, at);
    if (found < 0) return false;
    at = found + 1;
  }
  return true;
}

describe('master brand and repo: the registry without hand-editing JSON', () => {
  it("adds brands and repos in the file's own layout, validated by the registry schema", () => {
    const home = workspace();
    // Run from the workspace: a relative SOURCE is relative to where the command runs, as for any command.
    const run = (...args: string[]) => master([...args, '--home', home], { cwd: home });
    const file = path.join(home, 'registry.json');

    const brand = run('brand', 'add', 'beta', '--name', 'Beta Co', '--silo');
    expect(brand.code, brand.stderr).toBe(0);
    makeRepo(path.join(home, 'code/beta-web'));
    const added = run('repo', 'add', 'beta', 'beta-web', path.join(home, 'code/beta-web'), '--test', 'npm test');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('repo beta-web added to beta: code/beta-web (main branch "main")');
    makeRepo(path.join(home, 'repos/alpha-api'));
    expect(run('repo', 'add', 'alpha', 'alpha-api', 'repos/alpha-api').code).toBe(0);

    const text = readFileSync(file, 'utf8');
    expect(keptLines(REGISTRY, text)).toBe(true);
    // The new repo of alpha follows its one-line sibling; the new brand is laid out with the file's four spaces.
    expect(text).toContain(
      '                { "id": "alpha-app", "path": "repos/alpha-app", "mainBranch": "main", "checks": { "test": "true" } },\n                { "id": "alpha-api", "path": "repos/alpha-api", "mainBranch": "main" }\n',
    );
    expect(text).toContain(
      '        {\n            "id": "beta",\n            "name": "Beta Co",\n            "silo": true,\n            "repos": [\n                {\n                    "id": "beta-web",',
    );
    expect(run('registry', 'validate').stdout).toMatch(/valid \(2 brands, 3 repos\)/);
    const listed = JSON.parse(run('brand', 'list', '--json').stdout);
    expect(listed).toEqual([
      {
        id: 'alpha',
        name: 'Alpha',
        silo: false,
        repos: [
          { id: 'alpha-app', path: 'repos/alpha-app', mainBranch: 'main' },
          { id: 'alpha-api', path: 'repos/alpha-api', mainBranch: 'main' },
        ],
      },
      { id: 'beta', name: 'Beta Co', silo: true, repos: [{ id: 'beta-web', path: 'code/beta-web', mainBranch: 'main' }] },
    ]);
    expect(run('brand', 'list').stdout).toMatch(/beta\s+Beta Co\s+\(silo\)\n\s+beta-web\s+code\/beta-web\s+\(main\)/);
  });

  it('refuses a duplicate, a bad id, a folder that is no repo or lacks the main branch, a bare URL; the file stays byte for byte', () => {
    const home = workspace();
    const run = (...args: string[]) => master([...args, '--home', home], { cwd: home });
    const file = path.join(home, 'registry.json');
    writeFileSync(file, REGISTRY.replace('    ],\n    "dispatch"', '        ,{ "id": "beta", "name": "Beta" }\n    ],\n    "dispatch"'));
    const text = readFileSync(file, 'utf8');
    makeRepo(path.join(home, 'repos/trunk-only'));
    git(path.join(home, 'repos/trunk-only'), 'branch', '-m', 'main', 'trunk');
    mkdirSync(path.join(home, 'plain-folder'));
    const cases: Array<[string[], RegExp]> = [
      [['brand', 'add', 'beta'], /brand "beta" already exists/],
      [['brand', 'add', 'Bad_Id'], /brands\["Bad_Id"\]\.id: expected a lower-case id/],
      [['repo', 'add', 'nope', 'x', 'repos/alpha-app'], /unknown brand "nope"/],
      [['repo', 'add', 'beta', 'alpha-app', 'repos/alpha-app'], /repo "alpha-app" already exists in brand "alpha"/],
      [['repo', 'add', 'beta', 'twin', path.join(home, 'repos/alpha-app')], /is already repo "alpha-app" of brand "alpha"/],
      [['repo', 'add', 'beta', 'gone', path.join(home, 'nothing-here')], /does not exist; give the folder of a clone, or a URL with --clone/],
      [['repo', 'add', 'beta', 'plain', path.join(home, 'plain-folder')], /is not a git repository/],
      [['repo', 'add', 'beta', 'trunky', path.join(home, 'repos/trunk-only')], /has no branch "main" \(it is on "trunk"\); pass --main-branch NAME/],
      [['repo', 'add', 'beta', 'web', 'https://example.invalid/web.git'], /is a URL: add --clone to clone it into repos\/web/],
    ];
    for (const [args, message] of cases) {
      const result = run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect(readFileSync(file, 'utf8')).toBe(text);
    const trunk = run('repo', 'add', 'beta', 'trunky', path.join(home, 'repos/trunk-only'), '--main-branch', 'trunk');
    expect(trunk.code, trunk.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).brands[1].repos).toEqual([{ id: 'trunky', path: 'repos/trunk-only', mainBranch: 'trunk' }]);
  });

  it("clones a URL with --clone, taking the remote's default branch as main", () => {
    const home = workspace();
    const source = makeRepo(path.join(tempDir(), 'source'));
    git(source, 'branch', '-m', 'main', 'develop');
    const bare = path.join(tempDir(), 'web.git');
    git(path.dirname(bare), 'clone', '-q', '--bare', source, bare);
    const url = pathToFileURL(bare).href;

    const cloned = master(['repo', 'add', 'alpha', 'alpha-web', url, '--clone', '--lint', 'true', '--home', home]);
    expect(cloned.code, cloned.stderr).toBe(0);
    expect(cloned.stdout).toContain('repo alpha-web added to alpha: repos/alpha-web (main branch "develop")');
    expect(git(path.join(home, 'repos/alpha-web'), 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('develop');
    const registry = JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8'));
    expect(registry.brands[0].repos[1]).toEqual({ id: 'alpha-web', path: 'repos/alpha-web', mainBranch: 'develop', checks: { lint: 'true' } });

    // The clone's folder exists now: a second clone there is refused.
    const again = master(['repo', 'add', 'alpha', 'alpha-web2', url, '--clone', '--into', 'repos/alpha-web', '--home', home]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/cannot clone into .*alpha-web: it already exists/);
  });

  it('a URL without --clone: at a terminal it asks (yes clones, anything else adds nothing); a script is told to pass --clone; --no-clone never asks', () => {
    const home = workspace();
    const bare = path.join(tempDir(), 'web.git');
    git(path.dirname(bare), 'clone', '-q', '--bare', makeRepo(path.join(tempDir(), 'source')), bare);
    const url = pathToFileURL(bare).href;
    const registryBefore = readFileSync(path.join(home, 'registry.json'), 'utf8');
    // A real pseudo-terminal: \`script\` runs master with a TTY for stdin and stdout, and types what we pipe to it.
    const atTerminal = (args: string[], typed: string) => {
      const command = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
      const run = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], { input: typed, encoding: 'utf8', env: { ...process.env, MASTER_HOME: '' }, timeout: 60_000 });
      return { code: run.status, output: run.stdout };
    };

    const declined = atTerminal(['repo', 'add', 'alpha', 'alpha-web', url, '--home', home], 'n\n');
    expect(declined.output).toContain(`clone ${url} into repos/alpha-web? [y/N]`);
    expect(declined.output).toContain('not cloned, nothing added');
    expect(declined.code).toBe(1);
    expect(existsSync(path.join(home, 'repos/alpha-web'))).toBe(false);
    expect(readFileSync(path.join(home, 'registry.json'), 'utf8')).toBe(registryBefore);

    const noClone = atTerminal(['repo', 'add', 'alpha', 'alpha-web', url, '--no-clone', '--home', home], 'y\n');
    expect(noClone.output).not.toContain('[y/N]');
    expect(noClone.output).toContain('is a URL and --no-clone was given');
    expect(noClone.code).toBe(2);

    const piped = master(['repo', 'add', 'alpha', 'alpha-web', url, '--home', home], { input: 'y\n' });
    expect(piped.stdout).not.toContain('[y/N]');
    expect(piped.stderr).toMatch(/is a URL: add --clone to clone it into repos\/alpha-web/);
    expect(piped.code).toBe(2);
    expect(existsSync(path.join(home, 'repos/alpha-web'))).toBe(false);

    const accepted = atTerminal(['repo', 'add', 'alpha', 'alpha-web', url, '--home', home], 'y\n');
    expect(accepted.code, accepted.output).toBe(0);
    expect(accepted.output).toContain('repo alpha-web added to alpha: repos/alpha-web (main branch "main")');
    expect(git(path.join(home, 'repos/alpha-web'), 'log', '--format=%s', '-1')).toBe(git(bare, 'log', '--format=%s', '-1'));
    expect(JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')).brands[0].repos[1]).toEqual({ id: 'alpha-web', path: 'repos/alpha-web', mainBranch: 'main' });
  });

  it('removing a brand or repo with open tickets is refused; --force cancels them and says so', () => {
    const home = workspace();
    // Run from the workspace: a relative SOURCE is relative to where the command runs, as for any command.
    const run = (...args: string[]) => master([...args, '--home', home], { cwd: home });
    makeRepo(path.join(home, 'repos/alpha-api'));
    expect(run('repo', 'add', 'alpha', 'alpha-api', 'repos/alpha-api').code).toBe(0);
    expect(run('ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'open one').code).toBe(0);
    expect(run('ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-api', '--title', 'api one').code).toBe(0);

    const repoRefused = run('repo', 'remove', 'alpha', 'alpha-api');
    expect(repoRefused.code).toBe(2);
    expect(repoRefused.stderr).toMatch(/repo alpha-api has 1 open ticket \(T-2\); finish or cancel it first, or pass --force/);
    const repoForced = run('repo', 'remove', 'alpha', 'alpha-api', '--force');
    expect(repoForced.code, repoForced.stderr).toBe(0);
    expect(repoForced.stdout).toMatch(/cancelled 1 open ticket of alpha-api: T-2/);
    expect(existsSync(path.join(home, 'repos/alpha-api/.git'))).toBe(true);

    const refused = run('brand', 'remove', 'alpha');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/brand alpha has 1 open ticket \(T-1\)/);
    expect(readFileSync(path.join(home, 'registry.json'), 'utf8')).toContain('"id": "alpha"');
    const forced = run('brand', 'remove', 'alpha', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/cancelled 1 open ticket of alpha: T-1/);
    const after = readFileSync(path.join(home, 'registry.json'), 'utf8');
    // Added then removed: the file is the operator's again, but for the brand that is gone.
    expect(after).toBe(REGISTRY.replace(/"brands": \[[\s\S]*?\n {4}\]/, '"brands": []'));
    const tickets = JSON.parse(run('ticket', 'list', '--json').stdout);
    expect(tickets.map((t: { id: string; state: string }) => `${t.id}:${t.state}`)).toEqual(['T-1:cancelled', 'T-2:cancelled']);
    expect(run('brand', 'list').stdout).toMatch(/no brands yet/);
  });

  it('ticket add refuses a repo whose folder is missing, and creates nothing', () => {
    const home = workspace();
    makeRepo(path.join(home, 'repos/alpha-api'));
    expect(master(['repo', 'add', 'alpha', 'alpha-api', 'repos/alpha-api', '--home', home], { cwd: home }).code).toBe(0);
    renameSync(path.join(home, 'repos/alpha-api'), path.join(home, 'elsewhere'));
    const result = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-api', '--title', 'x', '--home', home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`repo alpha-api's folder ${path.join(home, 'repos/alpha-api')} does not exist`);
    expect(JSON.parse(master(['ticket', 'list', '--json', '--home', home]).stdout)).toEqual([]);
  });
});
