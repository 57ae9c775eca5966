import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { master, tempDir } from './helpers/cli.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';

// Every run here clears MASTER_HOME (the helper does) and passes no --home: the workspace is found from the cwd.
describe('finding the workspace as git finds its repo', () => {
  it('works from inside a repo of the workspace, and any folder below it', () => {
    const home = makeSimpleWorkspace();
    const deep = path.join(home, 'repos/alpha-app/src/lib');
    mkdirSync(deep, { recursive: true });
    const added = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'From below', '--json'], { cwd: deep });
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ id: 'T-1', brand: 'alpha' });
    // The ticket landed in the workspace above, not in a new .master/ in the repo.
    expect(existsSync(path.join(home, 'repos/alpha-app/.master'))).toBe(false);
    const listed = master(['ticket', 'list', '--json'], { cwd: home });
    expect(JSON.parse(listed.stdout).map((t: { id: string }) => t.id)).toEqual(['T-1']);
    expect(master(['registry', 'validate'], { cwd: deep }).stdout).toContain(path.join(home, 'registry.json'));
    expect(master(['doctor', '--json'], { cwd: deep }).stdout).toMatch(/"registry.valid"/);
  });

  it('MASTER_HOME and --home still win over the folder the command runs in', () => {
    const home = makeSimpleWorkspace();
    const other = makeSimpleWorkspace();
    expect(master(['ticket', 'add', '--brand', 'beta', '--repo', 'beta-app', '--title', 'Elsewhere'], { cwd: home, env: { MASTER_HOME: other } }).code).toBe(0);
    expect(JSON.parse(master(['ticket', 'list', '--json'], { cwd: other }).stdout)).toHaveLength(1);
    expect(JSON.parse(master(['ticket', 'list', '--json'], { cwd: home }).stdout)).toHaveLength(0);
    expect(JSON.parse(master(['ticket', 'list', '--json', '--home', home], { cwd: other, env: { MASTER_HOME: other } }).stdout)).toHaveLength(0);
  });

  it('outside any workspace: exit 2, says how to make or find one, writes nothing', () => {
    const dir = tempDir();
    const result = master(['ticket', 'list'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no registry here; run `master init`.*any folder below a registry\.json.*--home DIR/);
    expect(existsSync(path.join(dir, '.master'))).toBe(false);
  });
});

describe('master init inside another workspace', () => {
  it('refuses inside a workspace repo or folder without --force, with what to do', () => {
    const home = makeSimpleWorkspace();
    const inRepo = path.join(home, 'repos/alpha-app');
    const refused = master(['init'], { cwd: inRepo });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`is inside the repo ${inRepo} of the workspace ${home}`);
    expect(refused.stderr).toMatch(/--force/);
    expect(existsSync(path.join(inRepo, 'registry.json'))).toBe(false);

    const sub = path.join(home, 'notes', 'nested');
    const refusedSub = master(['init', sub]);
    expect(refusedSub.code).toBe(2);
    expect(refusedSub.stderr).toContain(`is inside the workspace ${home}`);
    expect(existsSync(sub)).toBe(false);

    // --force makes the nested workspace, and commands below it then use it (the nearest, as git does).
    const forced = master(['init', '--force'], { cwd: inRepo });
    expect(forced.code, forced.stderr).toBe(0);
    expect(existsSync(path.join(inRepo, 'registry.json'))).toBe(true);
    expect(master(['registry', 'validate'], { cwd: inRepo }).stdout).toMatch(/valid \(0 brands, 0 repos\)/);
  });

  it('a folder beside the workspace is not inside it', () => {
    const parent = tempDir();
    expect(master(['init', path.join(parent, 'one')]).code).toBe(0);
    const two = master(['init', path.join(parent, 'two')]);
    expect(two.code, two.stderr).toBe(0);
  });
});
