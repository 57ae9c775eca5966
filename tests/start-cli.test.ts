import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, master, tempDir } from './helpers/cli.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';

const PHASES = ['scout', 'distill', 'interview', 'dispatch', 'merge', 'report'];

function ndjson(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('master start (the built binary)', () => {
  it('runs the demo end to end headless: NDJSON shows every phase in order, the ready tickets merge', () => {
    const home = path.join(tempDir(), 'demo');
    expect(master(['demo', '--dir', home]).code).toBe(0);
    const first = master(['start', '--ci', '--json', '--home', home]);
    expect(first.code, first.stderr).toBe(0);
    const events = ndjson(first.stdout);
    for (const e of events) {
      expect(typeof e.type).toBe('string');
      expect(typeof e.at).toBe('string');
    }
    const phases = events.filter((e) => e.type === 'phase.start' || e.type === 'phase.skip');
    expect(phases.map((e) => e.phase)).toEqual(PHASES);
    for (const e of phases) expect(typeof e.reason).toBe('string');
    expect(events[0]!.type).toBe('session.start');
    expect(events.at(-1)!.type).toBe('session.end');
    const merged = events.filter((e) => e.type === 'ticket.transition' && e.to === 'merged').map((e) => e.id);
    expect(merged.sort()).toEqual(['T-1', 'T-2', 'T-3', 'T-5', 'T-6'].sort());

    const report = events.find((e) => e.type === 'phase.end' && e.phase === 'report')!;
    expect(report.reason).toMatch(/doctor A \d+\/\d+/);

    // The merges moved five mains: the next scout reports exactly those commits.
    const second = ndjson(master(['start', '--ci', '--json', '--home', home]).stdout);
    const scouted = JSON.stringify(second.find((e) => e.type === 'phase.end' && e.phase === 'scout'));
    expect(scouted).toContain('5 new commits in 5 repos');

    // Nothing changed since: the scout is skipped with its reason.
    const third = master(['start', '--ci', '--json', '--home', home]);
    const again = ndjson(third.stdout).filter((e) => e.type === 'phase.skip' || e.type === 'phase.start');
    expect(again[0]).toMatchObject({ type: 'phase.skip', phase: 'scout' });
    expect(String(again[0]!.reason)).toMatch(/^skip scout: no new commits in 9 tracked repos since \d\d:\d\d$/);
    // The demo plus three whole sessions: on a loaded 2-core machine this takes minutes, not the default minute.
  }, 240_000);

  it('prints one readable line per event without --json', () => {
    const home = makeSimpleWorkspace();
    const result = master(['start', '--ci', '--home', home]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\d\d:\d\d:\d\d {2}session S-1 started/m);
    expect(result.stdout).toMatch(/ scout {5}scout: first run in this workspace/);
    expect(result.stdout).toMatch(/ merge {5}skip merge: no ticket in review/);
    expect(result.stdout).toMatch(/session S-1 ended: ok/);
  });

  it('exits 3 while another live session holds the workspace, and says which pid', () => {
    const home = makeSimpleWorkspace();
    master(['ticket', 'list', '--home', home]);
    // This test process is alive: a lock naming it is held.
    writeFileSync(path.join(home, '.master', 'session.lock'), JSON.stringify({ pid: process.pid, host: hostname(), token: 't', at: 'now' }));
    const busy = master(['start', '--ci', '--home', home]);
    expect(busy.code).toBe(3);
    expect(busy.stderr).toContain(`pid ${process.pid}`);
  });

  it('exits 2 on an unreadable registry (bad input, as every command), 2 on a bad option, and --strict exits 1 when a ticket failed', () => {
    const broken = tempDir();
    writeFileSync(path.join(broken, 'registry.json'), '{ nope');
    const unreadable = master(['start', '--ci', '--home', broken]);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/registry\.json: not valid JSON/);

    const home = makeSimpleWorkspace();
    expect(master(['start', '--ci', '--only', 'nap', '--home', home]).stderr).toMatch(/--only nap: unknown phase/);
    expect(master(['start', '--ci', '--only', 'nap', '--home', home]).code).toBe(2);

    const add = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'fails', '--kind', 'script', '--run', 'exit 7', '--home', home]);
    expect(add.code).toBe(0);
    master(['ticket', 'move', 'T-1', 'approve', '--home', home]);
    const lenient = master(['start', '--ci', '--home', home]);
    expect(lenient.code, lenient.stdout).toBe(0);
    expect(lenient.stdout).toMatch(/T-1 running → failed/);
    master(['ticket', 'move', 'T-1', 'retry', '--home', home]);
    const strict = master(['start', '--ci', '--strict', '--home', home]);
    expect(strict.code).toBe(1);
  });
});

describe('a silo without an OS sandbox', () => {
  it('the session report marks it (no sandbox, no agents: the doctor fails sandbox.os and warns about the silo)', () => {
    const home = makeSimpleWorkspace({});
    const registry = JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8'));
    registry.brands[1].silo = true;
    for (const brand of registry.brands) brand.repos[0].checks = { test: 'true' };
    writeFileSync(path.join(home, 'registry.json'), JSON.stringify(registry));
    // A PATH with the tools the session needs and no bubblewrap.
    const bin = tempDir();
    for (const tool of ['git', 'bash', 'sh', 'node']) {
      const found = execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      symlinkSync(found, path.join(bin, tool));
    }
    const result = master(['start', '--ci', '--home', home], { env: { PATH: bin } });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/doctor B \d+\/\d+ \(warning: .*silos\.sandbox: /);
  });
});

describe('master start, the edges', () => {
  it('--strict judges the session even when --only skipped the report', () => {
    const home = makeSimpleWorkspace();
    master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'fails', '--kind', 'script', '--run', 'exit 7', '--home', home]);
    master(['ticket', 'move', 'T-1', 'approve', '--home', home]);
    const strict = master(['start', '--ci', '--strict', '--only', 'dispatch', '--home', home]);
    expect(strict.stdout).toMatch(/T-1 running → failed/);
    expect(strict.code).toBe(1);
  });

  it('a reader that goes away (| head) does not stop the session: it runs to its end', async () => {
    const home = makeSimpleWorkspace();
    master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'works', '--kind', 'script', '--run', 'echo ok > ok.txt', '--home', home]);
    master(['ticket', 'move', 'T-1', 'approve', '--home', home]);
    const child = spawn(process.execPath, [BIN, 'start', '--ci', '--home', home], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // Read the first line, then close the pipe, as `head -1` would.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|^\s+at /m);
    const list = JSON.parse(master(['ticket', 'list', '--json', '--home', home]).stdout);
    expect(list[0].state).toBe('review');
  });
});
