import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { master, tempDir } from './helpers/cli.js';
import { makeRepo, makeSimpleWorkspace } from './helpers/workspace.js';

/** The last stdout line as JSON: with --json a refusal is one `{type, error, code}` line a script can read. */
function refusal(stdout: string): { type: string; error: string; code: number } {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines.at(-1)!);
}

describe('one exit-code contract for every command', () => {
  // One workspace for every case: a refusal changes nothing, which the last test checks.
  let home = '';
  let notRepo = '';
  let file = '';
  beforeAll(() => {
    home = makeSimpleWorkspace();
    notRepo = tempDir();
    file = path.join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    expect(master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'one', '--home', home]).code).toBe(0);
  });
  // [arguments, what stderr must say, whether the command takes --json]
  const cases: Array<[string, () => string[], RegExp, boolean]> = [
    ['init', () => ['init', file], /is a file, not a folder/, false],
    ['registry validate', () => ['registry', 'validate', path.join(notRepo, 'none.json')], /no registry here/, false],
    ['ticket add', () => ['ticket', 'add', '--brand', 'nope', '--repo', 'x', '--title', 't'], /unknown brand "nope"/, true],
    ['ticket list', () => ['ticket', 'list', '--state', 'done'], /unknown state "done"/, true],
    ['ticket show', () => ['ticket', 'show', 'T-99'], /no ticket T-99/, true],
    ['ticket move', () => ['ticket', 'move', 'T-1', 'pass'], /"pass" is the system's own event/, true],
    ['ticket edit', () => ['ticket', 'edit', 'T-1'], /nothing to edit/, true],
    ['ticket recheck', () => ['ticket', 'recheck', 'T-99'], /no ticket T-99/, false],
    ['brand add', () => ['brand', 'add', 'Not-An-Id'], /lower-case id/, false],
    ['brand remove', () => ['brand', 'remove', 'nope'], /unknown brand "nope"/, false],
    ['brand list', () => ['brand', 'list', '--bogus'], /unknown option '--bogus'/, true],
    ['repo add', () => ['repo', 'add', 'alpha', 'new-app', notRepo], /is not a git repository/, false],
    ['repo remove', () => ['repo', 'remove', 'alpha', 'nope'], /unknown repo "nope"/, false],
    ['usage', () => ['usage', '--since', 'yesterday'], /is not a day/, true],
    ['scout', () => ['scout', '--bogus'], /unknown option/, true],
    ['demo', () => ['demo', '--dir', file], /is a file, not a folder/, false],
    ['start', () => ['start', '--ci', '--only', 'nap'], /--only nap: unknown phase/, true],
    ['questions', () => ['questions', '--bogus'], /unknown option/, true],
    ['answer', () => ['answer', 'Q-9', 'yes'], /no question Q-9/, false],
    ['repair', () => ['repair', 'extra'], /too many arguments/, false],
    ['wiki list', () => ['wiki', 'list', '--brand', 'zz'], /unknown brand "zz"/, true],
    ['wiki show', () => ['wiki', 'show', 'nope'], /no wiki page "nope"/, false],
    ['doctor', () => ['doctor', '--bogus'], /unknown option/, true],
    ['mcp', () => ['mcp', '--http', 'abc'], /--http wants a port number/, false],
    ['hooks export', () => ['hooks', 'export', '--brand', 'zz'], /unknown brand "zz"/, false],
    ['guard', () => ['guard'], /stdin/, false],
  ];
  it.each(cases)('%s: bad input exits 2 with a message and no stack; with --json also one JSON error line on stdout', (name, args, message, takesJson) => {
    const result = master([...args(), '--home', home]);
    expect(result.code, `${name}: ${result.stderr}`).toBe(2);
    expect(result.stderr, name).toMatch(message);
    expect(result.stderr, name).not.toMatch(/^\s+at /m);
    if (!takesJson) return;
    const json = master([...args(), '--json', '--home', home]);
    expect(json.code, name).toBe(2);
    expect(refusal(json.stdout), name).toMatchObject({ type: 'error', code: 2, error: expect.stringMatching(message) });
  });

  it('the refusals changed nothing', () => {
    expect(JSON.parse(master(['ticket', 'list', '--json', '--home', home]).stdout).map((t: { id: string; state: string }) => `${t.id}:${t.state}`)).toEqual(['T-1:triage']);
    expect(JSON.parse(master(['brand', 'list', '--json', '--home', home]).stdout).map((b: { id: string }) => b.id)).toEqual(['alpha', 'beta']);
  });

  it('an unusable registry is bad input for every command, start included', () => {
    const broken = tempDir();
    writeFileSync(path.join(broken, 'registry.json'), '{\n  "brands": [\n');
    for (const args of [['start', '--ci'], ['ticket', 'list'], ['scout'], ['questions'], ['repair'], ['brand', 'list'], ['wiki', 'list']]) {
      const result = master([...args, '--home', broken]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/registry\.json: not valid JSON at line 3, column 1/);
    }
    const json = master(['start', '--ci', '--json', '--home', broken]);
    expect(json.code).toBe(2);
    expect(refusal(json.stdout)).toMatchObject({ type: 'error', code: 2, error: expect.stringMatching(/not valid JSON at line 3/) });
  });

  describe('a busy workspace', () => {
    let busyHome = '';
    const env = { MASTER_LOCK_WAIT: '0.2' };
    beforeAll(() => {
      busyHome = makeSimpleWorkspace();
      makeRepo(path.join(busyHome, 'repos/gamma-app'));
      expect(master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'one', '--home', busyHome]).code).toBe(0);
      // This test process is alive: a lock naming it is held by a live process.
      const holder = JSON.stringify({ pid: process.pid, host: hostname(), token: 't', at: new Date().toISOString() });
      writeFileSync(path.join(busyHome, '.master', 'write.lock'), holder);
      writeFileSync(path.join(busyHome, '.master', 'session.lock'), holder);
    });
    const cases: Array<[string, string[], boolean]> = [
      ['ticket add', ['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'two'], true],
      ['ticket move', ['ticket', 'move', 'T-1', 'approve'], true],
      ['ticket edit', ['ticket', 'edit', 'T-1', '--title', 'renamed'], true],
      ['brand add', ['brand', 'add', 'gamma'], false],
      ['repo add', ['repo', 'add', 'beta', 'gamma-app', 'repos/gamma-app'], false],
      ['repo remove', ['repo', 'remove', 'beta', 'beta-app'], false],
      ['start', ['start', '--ci'], true],
    ];
    it.each(cases)('%s: exit 3 naming the holder; with --json also a JSON error line', (name, args, takesJson) => {
      const result = master([...args, '--home', busyHome], { env, cwd: busyHome });
      expect(result.code, `${name}: ${result.stderr}`).toBe(3);
      expect(result.stderr, name).toContain(`pid ${process.pid}`);
      if (!takesJson) return;
      const json = master([...args, '--json', '--home', busyHome], { env, cwd: busyHome });
      expect(json.code, name).toBe(3);
      expect(refusal(json.stdout), name).toMatchObject({ type: 'error', code: 3, error: expect.stringContaining(`pid ${process.pid}`) });
    });
    it('nothing changed while busy', () => {
      const list = JSON.parse(master(['ticket', 'list', '--json', '--home', busyHome]).stdout);
      expect(list.map((t: { id: string; title: string; state: string }) => `${t.id}:${t.state}:${t.title}`)).toEqual(['T-1:triage:one']);
      expect(master(['brand', 'list', '--json', '--home', busyHome]).stdout).not.toContain('gamma');
    });
  });
});
