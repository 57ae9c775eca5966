import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { master, tempDir } from './helpers/cli.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';

describe('master ticket (the built binary, end to end)', () => {
  it('adds, lists, shows and moves tickets through the lifecycle', () => {
    const home = makeSimpleWorkspace();
    const run = (...args: string[]) => master([...args, '--home', home]);

    const added = run(
      'ticket',
      'add',
      '--brand',
      'alpha',
      '--repo',
      'alpha-app',
      '--title',
      'Fix the login',
      '--body',
      'It breaks on Safari',
      '--accept',
      'login works',
      '--accept',
      'a test covers it',
      '--priority',
      'p1',
      '--json',
    );
    expect(added.code, added.stderr).toBe(0);
    const ticket = JSON.parse(added.stdout);
    expect(ticket).toMatchObject({ id: 'T-1', state: 'triage', brand: 'alpha', repo: 'alpha-app', kind: 'agent', priority: 'p1', acceptance: ['login works', 'a test covers it'] });

    const script = run('ticket', 'add', '--brand', 'beta', '--repo', 'beta-app', '--title', 'Bump version', '--kind', 'script', '--run', 'npm version patch', '--json');
    expect(JSON.parse(script.stdout)).toMatchObject({ id: 'T-2', kind: 'script', run: ['npm version patch'] });

    expect(run('ticket', 'move', 'T-1', 'approve').stdout).toContain('T-1: triage → ready');
    expect(run('ticket', 'move', 't-1', 'block', '--note', 'waiting on design').code).toBe(0);

    const forbidden = run('ticket', 'move', 'T-1', 'approve');
    expect(forbidden.code).toBe(2);
    expect(forbidden.stderr).toMatch(/T-1 is blocked: "approve" is not allowed from blocked; allowed from blocked: unblock, cancel/);

    const system = run('ticket', 'move', 'T-1', 'merge');
    expect(system.code).toBe(2);
    expect(system.stderr).toMatch(/"merge" is the system's own event/);

    const unknownEvent = run('ticket', 'move', 'T-1', 'explode');
    expect(unknownEvent.code).toBe(2);
    expect(unknownEvent.stderr).toMatch(/unknown event "explode"/);

    const list = JSON.parse(run('ticket', 'list', '--json').stdout);
    expect(list.map((t: { id: string; state: string }) => `${t.id}:${t.state}`)).toEqual(['T-1:blocked', 'T-2:triage']);
    expect(JSON.parse(run('ticket', 'list', '--brand', 'beta', '--json').stdout)).toHaveLength(1);
    expect(JSON.parse(run('ticket', 'list', '--state', 'blocked', '--json').stdout)).toHaveLength(1);
    expect(run('ticket', 'list').stdout).toMatch(/T-1\s+blocked\s+p1\s+alpha\/alpha-app\s+agent\s+Fix the login/);

    const show = run('ticket', 'show', 'T-1');
    expect(show.stdout).toContain('triage → ready  (approve by operator)');
    expect(show.stdout).toContain('waiting on design');
    const shown = JSON.parse(run('ticket', 'show', 'T-1', '--json').stdout);
    expect(shown.history).toHaveLength(2);
    expect(shown.history[1]).toMatchObject({ from: 'ready', to: 'blocked', event: 'block', by: 'operator', note: 'waiting on design' });

    expect(run('ticket', 'move', 'T-1', 'cancel').code).toBe(0);
    expect(run('ticket', 'move', 'T-1', 'reopen').stdout).toContain('cancelled → triage');
  });

  it('refuses bad input with exit 2 and a message that says what to do', () => {
    const home = makeSimpleWorkspace();
    const run = (...args: string[]) => master([...args, '--home', home]);
    const cases: Array<[string[], RegExp]> = [
      [['ticket', 'add', '--brand', 'nope', '--repo', 'x', '--title', 't'], /unknown brand "nope"; known brands: alpha, beta/],
      [['ticket', 'add', '--brand', 'alpha', '--repo', 'beta-app', '--title', 't'], /unknown repo "beta-app" in brand "alpha"; its repos: alpha-app/],
      [['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', '  '], /title/],
      [['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 't', '--kind', 'script'], /script ticket needs at least one command/],
      [['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app'], /required option '--title <title>'/],
      [['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 't', '--priority', 'p9'], /p9/],
      [['ticket', 'show', 'T-99'], /no ticket T-99/],
      [['ticket', 'move', 'T-99', 'approve'], /no ticket T-99/],
      [['ticket', 'list', '--state', 'done'], /unknown state "done"/],
      [['ticket', 'frobnicate'], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const result = run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    }
    expect(JSON.parse(run('ticket', 'list', '--json').stdout)).toEqual([]);
  });

  it('init creates a workspace once and refuses to overwrite it', () => {
    const dir = tempDir();
    const first = master(['init', dir]);
    expect(first.code, first.stderr).toBe(0);
    const again = master(['init', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; master init never overwrites/);
    expect(master(['registry', 'validate', '--home', dir]).code).toBe(0);
  });

  it('--version and --help exit 0', () => {
    expect(master(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = master(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ticket');
  });
});

describe('a workspace folder that cannot be one', () => {
  it('init and demo on a path that is a file: exit 2 with what to do', () => {
    const file = path.join(tempDir(), 'not-a-folder');
    writeFileSync(file, 'x');
    for (const args of [
      ['init', file],
      ['demo', '--dir', file],
    ]) {
      const result = master(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/is a file, not a folder; pick a folder/);
    }
  });
});
