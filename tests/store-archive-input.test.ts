import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/doctor/index.js';
import { openWorkspace } from '../src/workspace/open.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { master, tempDir } from './helpers/cli.js';
import { makeWorkspaceWithFolders } from './helpers/workspace.js';

const TWO_BRANDS = {
  brands: [
    { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
    { id: 'beta', name: 'Beta', repos: [{ id: 'beta-app', path: 'repos/beta-app' }] },
  ],
};

async function archivedWorkspace(): Promise<{ home: string; kept: string; old: string }> {
  const home = makeWorkspaceWithFolders(TWO_BRANDS);
  let now = new Date('2026-03-01T10:00:00Z');
  const ws = await openWorkspace(home, { clock: () => now });
  const kept = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'still open' }).id;
  const old = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'cancelled long ago' }).id;
  ws.tickets.transition(old, 'cancel', { note: 'not needed' });
  now = new Date('2026-05-01T10:00:00Z');
  expect(ws.tickets.archiveOld(30)).toEqual([old]);
  await ws.store.close();
  return { home, kept, old };
}

async function check(home: string, id: string) {
  const report = await runDoctor({ paths: workspacePaths(home) });
  return { report, check: report.checks.find((c) => c.id === id)! };
}

describe('the archive is not a single point of loss', () => {
  for (const damage of ['deleted', 'truncated'] as const) {
    it(`an archive month ${damage} is detected by the doctor and rebuilt by repair from the log`, async () => {
      const { home, old } = await archivedWorkspace();
      const file = path.join(workspacePaths(home).archive, '2026-03.json');
      if (damage === 'deleted') rmSync(file);
      else writeFileSync(file, readFileSync(file, 'utf8').slice(0, 25));

      const { report, check: archive } = await check(home, 'state.archive');
      expect(archive.status).toBe('fail');
      expect(archive.message).toMatch(new RegExp(`archive/2026-03.json is ${damage === 'deleted' ? 'missing' : 'unreadable'}.*${old}`));
      expect(archive.fix).toMatch(/master repair/);
      expect(report.grade).not.toBe('A');

      const show = master(['ticket', 'show', old, '--home', home]);
      expect(show.code).toBe(1);
      expect(show.stderr).toMatch(/missing, damaged or lacks it; `master repair` rebuilds the archive/);
      const all = master(['ticket', 'list', '--all', '--json', '--home', home]);
      expect(all.stderr).toMatch(new RegExp(`1 archived ticket could not be read \\(${old}\\)`));

      const repair = master(['repair', '--home', home]);
      expect(repair.code, repair.stderr).toBe(0);
      expect(repair.stdout).toMatch(/rebuilt the archive from the log: 1 tickets in 1 month file/);
      expect(existsSync(file)).toBe(true);
      expect((await check(home, 'state.archive')).check.status).toBe('pass');
      const shown = master(['ticket', 'show', old, '--json', '--home', home]);
      expect(shown.code, shown.stderr).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ id: old, state: 'cancelled', title: 'cancelled long ago' });
    });
  }
});

describe('registry and input edge cases', () => {
  it('a brand removed from the registry strands its tickets: the doctor names them and says what to do', async () => {
    const home = makeWorkspaceWithFolders(TWO_BRANDS);
    const ws = await openWorkspace(home);
    const beta = ws.tickets.create({ brand: 'beta', repo: 'beta-app', title: 'beta work' }).id;
    ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'alpha work' });
    await ws.store.close();
    const registry = JSON.parse(readFileSync(workspacePaths(home).registry, 'utf8'));
    registry.brands = registry.brands.filter((b: { id: string }) => b.id !== 'beta');
    writeFileSync(workspacePaths(home).registry, JSON.stringify(registry));
    const { check: stranded } = await check(home, 'tickets.registered');
    expect(stranded.status).toBe('warn');
    expect(stranded.message).toMatch(new RegExp(`stranded .*${beta} \\(triage\\) of brand beta`));
    expect(stranded.message).not.toMatch(/T-2/);
    expect(stranded.fix).toMatch(/registry\.json.*cancel/);
  });

  it('a registry.json saved with a UTF-8 byte order mark is accepted', () => {
    const home = makeWorkspaceWithFolders(TWO_BRANDS);
    const file = workspacePaths(home).registry;
    writeFileSync(file, `\uFEFF${readFileSync(file, 'utf8')}`);
    const r = master(['ticket', 'list', '--home', home]);
    expect(r.code, r.stderr).toBe(0);
    expect(master(['registry', 'validate', file]).code).toBe(0);
  });

  it('control characters and terminal escapes in a title or body are never printed raw', () => {
    const home = makeWorkspaceWithFolders(TWO_BRANDS);
    const title = 'fake\r\nT-99  merged  p0  evil\u001b[2J\u001b]0;pwned\u0007\u009b31m\u202e';
    const add = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', title, '--body', 'line one\n\u001b[31mred\u001b[0m', '--home', home]);
    expect(add.code, add.stderr).toBe(0);
    for (const args of [
      ['ticket', 'list'],
      ['ticket', 'show', 'T-1'],
    ]) {
      const r = master([...args, '--home', home]);
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
      expect(r.stdout).toContain('\\x1b[2J');
    }
    // The table keeps one row per ticket: a title cannot draw a fake row.
    const list = master(['ticket', 'list', '--home', home]).stdout.trim().split('\n');
    expect(list).toHaveLength(2);
    expect(list[1]).toMatch(/^T-1 /);
    expect(add.stdout).not.toMatch(/\u001b/);
    // JSON output keeps the exact text (JSON escapes it).
    const json = JSON.parse(master(['ticket', 'show', 'T-1', '--json', '--home', home]).stdout);
    expect(json.title).toBe(title);
  });

  it('a large body comes from a file (--body-file) or stdin (--body -)', () => {
    const home = makeWorkspaceWithFolders(TWO_BRANDS);
    const body = `# spec\n${'a long line of the spec\n'.repeat(20_000)}`;
    const file = path.join(tempDir(), 'body.md');
    writeFileSync(file, body);
    const fromFile = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'f', '--body-file', file, '--json', '--home', home]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(JSON.parse(fromFile.stdout).body).toBe(body);
    const fromStdin = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 's', '--body', '-', '--json', '--home', home], { input: body });
    expect(fromStdin.code, fromStdin.stderr).toBe(0);
    expect(JSON.parse(fromStdin.stdout).body).toBe(body);

    const missing = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'm', '--body-file', path.join(tempDir(), 'nope.md'), '--home', home]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --body-file .*nope\.md: ENOENT/);
    const both = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'b', '--body', 'x', '--body-file', file, '--home', home]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/either --body or --body-file/);
    expect(JSON.parse(master(['ticket', 'list', '--json', '--home', home]).stdout)).toHaveLength(2);
  });
});
