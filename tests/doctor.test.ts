import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDoctor, type DoctorOptions } from '../src/doctor/index.js';
import { Tickets } from '../src/tickets/index.js';
import { runMergeGate } from '../src/gate/index.js';
import { resetSandboxProbe } from '../src/guards/silo/sandbox.js';
import type { RegistryInput } from '../src/registry/schema.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { master, tempDir } from './helpers/cli.js';
import { GOOD_REPO, gradeA, makeGateWorkspace, ticketInReview, type GateWorkspace } from './helpers/gate.js';
import { git, makeRepo } from './helpers/workspace.js';

const SCRIPTED = { provider: 'scripted' as const, default: 'scripted-demo', script: 'model-script.json' };
const opened: GateWorkspace[] = [];
afterAll(async () => {
  for (const gw of opened) await gw.ws.store.close();
});

/** A workspace every check passes in: one brand, one repo with checks, the shipped hooks, a (scripted) model. */
async function healthy(registry: Partial<RegistryInput> = {}): Promise<GateWorkspace> {
  const gw = await makeGateWorkspace({ registry: { models: SCRIPTED, ...registry } });
  opened.push(gw);
  return gw;
}

function readRegistry(home: string): RegistryInput {
  return JSON.parse(readFileSync(path.join(home, 'registry.json'), 'utf8')) as RegistryInput;
}
function editRegistry(home: string, edit: (registry: RegistryInput) => void): void {
  const registry = readRegistry(home);
  edit(registry);
  writeFileSync(path.join(home, 'registry.json'), JSON.stringify(registry, null, 2));
}

/** The first brand's first repo, as the file has it. */
function firstRepo(registry: RegistryInput) {
  const repo = registry.brands?.[0]?.repos?.[0];
  if (!repo) throw new Error('the test registry has no repo');
  return repo;
}

async function doctor(home: string, options: DoctorOptions = {}) {
  return runDoctor({ paths: workspacePaths(home) }, options);
}
function status(report: Awaited<ReturnType<typeof doctor>>, id: string) {
  const check = report.checks.find((c) => c.id === id);
  if (!check) throw new Error(`no check ${id}`);
  return check;
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function fakeBin(name: string, script: string): string {
  const dir = tempDir('master-bin-');
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return dir;
}

const ALL_CHECKS = [
  'registry.valid',
  'checks.configured',
  'model.configured',
  'repos.present',
  'repos.main-branch',
  'repos.checkouts',
  'worktrees.stale',
  'branches.orphan',
  'state.file',
  'state.log',
  'tickets.consistent',
  'locks.alive',
  'state.archive',
  'tickets.registered',
  'hooks.parse',
  'guards.builtin',
  'sandbox.os',
  'silos.layers',
  'silos.sandbox',
  'claude.settings',
  'agents.contracts',
  'wiki',
  'disk.space',
  'git.version',
  'node.version',
];

describe('master doctor', () => {
  it(`passes every one of its ${ALL_CHECKS.length} named checks in a healthy workspace: A ${ALL_CHECKS.length}/${ALL_CHECKS.length}, exit 0, and --json has the documented shape`, async () => {
    const gw = await healthy();
    ticketInReview(gw, { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' });
    const report = await doctor(gw.home);
    expect(report.checks.map((c) => c.id)).toEqual(ALL_CHECKS);
    expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(report).toMatchObject({ grade: 'A', passed: ALL_CHECKS.length, total: ALL_CHECKS.length, filed: [] });
    for (const check of report.checks) expect(check).toEqual({ id: expect.any(String), title: expect.any(String), status: 'pass', message: expect.any(String), fix: '' });

    const human = master(['doctor'], { env: { MASTER_HOME: gw.home } });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^doctor: A ${ALL_CHECKS.length}/${ALL_CHECKS.length}`));
    const json = master(['doctor', '--json'], { env: { MASTER_HOME: gw.home } });
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as { grade: string; passed: number; total: number; checks: Array<Record<string, unknown>> };
    expect(parsed).toMatchObject({ grade: 'A', passed: ALL_CHECKS.length, total: ALL_CHECKS.length });
    expect(Object.keys(parsed.checks[0]!).sort()).toEqual(['fix', 'id', 'message', 'status', 'title']);
  });

  it('grades below A with exit 1 when a check fails; warnings show but keep the grade', async () => {
    const gw = await healthy();
    rmSync(path.join(gw.home, 'hooks', 'pre-merge-gate.json'));
    const failing = master(['doctor', '--json'], { env: { MASTER_HOME: gw.home } });
    expect(failing.code).toBe(1);
    expect(JSON.parse(failing.stdout)).toMatchObject({ grade: 'B', passed: ALL_CHECKS.length - 1, total: ALL_CHECKS.length });

    const warned = await healthy({ models: { provider: 'anthropic' } });
    const report = await doctor(warned.home, { env: { PATH: process.env.PATH } });
    expect(status(report, 'model.configured').status).toBe('warn');
    expect(report.grade).toBe('A');
    const human = master(['doctor'], { env: { MASTER_HOME: warned.home } });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^doctor: A ${ALL_CHECKS.length}/${ALL_CHECKS.length} \\(1 warning\\)`));
    expect(human.stdout).toMatch(/! model.configured/);
  });

  // Each check: one way to break it, the status it must then report, and what its message must say.
  // `grade`: where breaking it breaks another check too (no bwrap also fails sandbox.os).
  const cases: Array<{ id: string; expect: 'fail' | 'warn'; message: RegExp; grade?: string; breakIt: ((gw: GateWorkspace) => void) | ((gw: GateWorkspace) => DoctorOptions) }> = [
    { id: 'registry.valid', expect: 'fail', message: /not valid JSON/, breakIt: (gw) => writeFileSync(path.join(gw.home, 'registry.json'), '{ "brands": [') },
    {
      id: 'checks.configured',
      expect: 'fail',
      message: /no checks configured for alpha-app/,
      breakIt: (gw) => editRegistry(gw.home, (r) => void (firstRepo(r).checks = {})),
    },
    {
      id: 'model.configured',
      expect: 'warn',
      message: /no model configured/,
      breakIt: (gw) => {
        editRegistry(gw.home, (r) => void (r.models = { provider: 'anthropic' }));
        return { env: { PATH: process.env.PATH } };
      },
    },
    { id: 'repos.present', expect: 'fail', message: /alpha-app.*does not exist/, breakIt: (gw) => rmSync(gw.repo, { recursive: true, force: true }) },
    { id: 'repos.main-branch', expect: 'fail', message: /no branch "trunk"/, breakIt: (gw) => editRegistry(gw.home, (r) => void (firstRepo(r).mainBranch = 'trunk')) },
    { id: 'repos.checkouts', expect: 'warn', message: /main checked out with 1 uncommitted change/, breakIt: (gw) => writeFileSync(path.join(gw.repo, 'README.md'), 'edited\n') },
    {
      id: 'worktrees.stale',
      expect: 'warn',
      message: /T-99: no ticket T-99 exists/,
      breakIt: (gw) => void git(gw.repo, 'worktree', 'add', '-q', '-b', 'scratch', path.join(gw.ws.paths.worktrees, 'alpha-app', 'T-99'), 'main'),
    },
    { id: 'branches.orphan', expect: 'warn', message: /master\/T-42 \(no such ticket\)/, breakIt: (gw) => void git(gw.repo, 'branch', 'master/T-42', 'main') },
    { id: 'state.file', expect: 'fail', message: /not valid JSON/, breakIt: (gw) => writeFileSync(gw.ws.paths.state, '{"version":1,') },
    {
      id: 'state.log',
      expect: 'fail',
      message: /acknowledged writes lost: sequence \d+–499 is missing before 2099-01-01.ndjson line 1/,
      breakIt: (gw) => {
        const file = path.join(gw.ws.paths.events, '2099-01-01.ndjson');
        writeFileSync(file, `${JSON.stringify({ type: 'note', seq: 500, at: '2099-01-01T00:00:00.000Z' })}\n`);
      },
    },
    {
      id: 'tickets.consistent',
      expect: 'fail',
      message: /T-1 is in review but its branch master\/T-1 is gone/,
      breakIt: (gw) => {
        const ticket = ticketInReview(gw, { 'a.txt': 'a\n' });
        git(gw.repo, 'worktree', 'remove', '--force', ticket.runs[0]!.worktree);
        git(gw.repo, 'branch', '-D', 'master/T-1');
      },
    },
    {
      id: 'locks.alive',
      expect: 'warn',
      message: /gate-alpha-app.lock is stale: its holder, pid \d+, is gone/,
      breakIt: (gw) => {
        mkdirSync(path.join(gw.ws.paths.data, 'locks'), { recursive: true });
        const holder = { pid: deadPid(), host: hostname(), token: 'dead', at: new Date().toISOString() };
        writeFileSync(path.join(gw.ws.paths.data, 'locks', 'gate-alpha-app.lock'), JSON.stringify(holder));
      },
    },
    {
      id: 'state.archive',
      expect: 'fail',
      message: /archive\/\d{4}-\d{2}\.json is missing: T-1 cannot be shown/,
      breakIt: (gw) => {
        const t = gw.ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'old' });
        gw.ws.tickets.transition(t.id, 'cancel');
        gw.ws.tickets.archiveOld(0);
        rmSync(gw.ws.paths.archive, { recursive: true });
      },
    },
    {
      id: 'tickets.registered',
      expect: 'warn',
      message: /stranded .*T-1 \(triage\) of brand gone/,
      breakIt: (gw) => {
        const wider = { ...gw.ws.registry, brands: [...gw.ws.registry.brands, { ...gw.ws.registry.brands[0]!, id: 'gone', repos: [{ ...gw.ws.registry.brands[0]!.repos[0]!, id: 'gone-app' }] }] };
        new Tickets(gw.ws.store, wider).create({ brand: 'gone', repo: 'gone-app', title: 'stranded' });
      },
    },
    { id: 'hooks.parse', expect: 'fail', message: /bad\.json: not valid JSON/, breakIt: (gw) => writeFileSync(path.join(gw.home, 'hooks', 'bad.json'), '{ "event": ') },
    { id: 'guards.builtin', expect: 'fail', message: /pre-merge-gate is missing/, breakIt: (gw) => rmSync(path.join(gw.home, 'hooks', 'pre-merge-gate.json')) },
    {
      id: 'silos.layers',
      expect: 'fail',
      message: /vault: boundary-guard hook off/,
      breakIt: (gw) => {
        addSilo(gw);
        const file = path.join(gw.home, 'hooks', 'boundary-guard.json');
        writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), enabled: false }));
      },
    },
    {
      id: 'claude.settings',
      expect: 'fail',
      message: /the master build .*gone\/master\.js is missing/,
      breakIt: (gw) => {
        // A settings file exported before the build moved: Claude Code would let every call through.
        const settings = JSON.parse(master(['--home', gw.home, 'hooks', 'export']).stdout) as { hooks: { PreToolUse: Array<{ hooks: Array<{ command: string }> }> } };
        const hook = settings.hooks.PreToolUse[0]!.hooks[0]!;
        hook.command = hook.command.replace(/ (\S*master\.js) /, ' /nowhere/gone/master.js ');
        mkdirSync(path.join(gw.repo, '.claude'), { recursive: true });
        writeFileSync(path.join(gw.repo, '.claude', 'settings.local.json'), JSON.stringify(settings));
      },
    },
    {
      id: 'silos.sandbox',
      expect: 'warn',
      message: /vault: layer 4.*unsandboxed/,
      grade: 'B',
      breakIt: (gw) => {
        addSilo(gw);
        brokenBwrap();
      },
    },
    {
      id: 'sandbox.os',
      expect: 'fail',
      message: /bubblewrap \(bwrap\) does not work here \(bwrap: no permission\).*commands wait/,
      breakIt: () => brokenBwrap(),
    },
    {
      id: 'agents.contracts',
      expect: 'fail',
      message: /contracts\.verifier\.tools: needs Finish \(or Verdict\)/,
      breakIt: (gw) => editRegistry(gw.home, (r) => void (r.contracts = { verifier: { tools: ['Read'] } })),
    },
    {
      id: 'wiki',
      expect: 'fail',
      message: /pages written outside their authority: global\/x by librarian/,
      breakIt: (gw) =>
        writeFileSync(
          path.join(gw.home, '.master/events/2020-01-01.ndjson'),
          `${JSON.stringify({ type: 'wiki.write', page: 'global/x', authority: 'librarian', brand: 'alpha', seq: 0, at: '2020-01-01T00:00:00Z' })}\n`,
        ),
    },
    { id: 'disk.space', expect: 'warn', message: /only .* GiB free/, breakIt: () => ({ machine: { minFreeBytes: Number.MAX_SAFE_INTEGER } }) },
    { id: 'git.version', expect: 'warn', message: /git 2\.1\.0 is too old/, breakIt: () => ({ env: { PATH: `${fakeBin('git', 'echo "git version 2.1.0"')}${path.delimiter}${process.env.PATH}` } }) },
    { id: 'node.version', expect: 'warn', message: /node 18\.0\.0 is too old/, breakIt: () => ({ machine: { nodeVersion: '18.0.0' } }) },
  ];
  const restore: Array<() => void> = [];

  function brokenBwrap(): void {
    const bin = fakeBin('bwrap', 'echo "bwrap: no permission" >&2; exit 1');
    const original = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${original}`;
    resetSandboxProbe();
    restore.push(() => {
      process.env.PATH = original;
      resetSandboxProbe();
    });
  }

  function addSilo(gw: GateWorkspace): void {
    makeRepo(path.join(gw.home, 'repos/vault-app'), GOOD_REPO);
    editRegistry(gw.home, (r) =>
      r.brands.push({ id: 'vault', name: 'Vault', silo: true, repos: [{ id: 'vault-app', path: 'repos/vault-app', checks: { test: 'node --test' }, gate: { verifier: 'checks-only' } }] }),
    );
  }

  it('covers every check with a case below', () => {
    expect(cases.map((c) => c.id).sort()).toEqual([...ALL_CHECKS].sort());
  });

  for (const testCase of cases) {
    it(`${testCase.id}: reports ${testCase.expect} when broken`, async () => {
      const gw = await healthy();
      try {
        const options = testCase.breakIt(gw) ?? {};
        const report = await doctor(gw.home, options);
        const check = status(report, testCase.id);
        expect(check.status).toBe(testCase.expect);
        expect(check.message).toMatch(testCase.message);
        expect(check.fix).not.toBe('');
        if (testCase.grade) expect(report.grade).toBe(testCase.grade);
        else if (testCase.expect === 'fail') expect(report.grade).not.toBe('A');
        else expect(report.grade).toBe('A');
      } finally {
        for (const undo of restore.splice(0)) undo();
      }
    });
  }

  it('files one housekeeping ticket per named problem, however often it runs', async () => {
    const gw = await healthy();
    editRegistry(gw.home, (r) => void (r.contracts = { verifier: { tools: ['Read'] } }));
    const first = await doctor(gw.home, { file: true });
    expect(first.filed).toHaveLength(1);
    for (let i = 0; i < 3; i++) expect((await doctor(gw.home, { file: true })).filed).toEqual([]);
    const cli = master(['doctor'], { env: { MASTER_HOME: gw.home } });
    expect(cli.code).toBe(1);
    gw.ws.store.refresh();
    const filed = Object.values(gw.ws.store.state.tickets).filter((t) => t.kind === 'housekeeping');
    expect(filed).toHaveLength(1);
    expect(filed[0]).toMatchObject({ problem: 'doctor:agents.contracts:verifier', state: 'triage', title: 'Fix the verifier agent contract' });
    expect(filed[0]!.body).toContain('tools: needs Finish (or Verdict)');

    // Closed, the problem is filed again (it is still there).
    gw.ws.tickets.transition(filed[0]!.id, 'cancel');
    expect((await doctor(gw.home, { file: true })).filed).toHaveLength(1);
  });

  it("--fix removes stale worktrees, deletes merged tickets' branches and releases dead locks, and says so", async () => {
    const gw = await healthy();
    // A merged ticket whose branch came back (a gate killed before its cleanup, or a stray push).
    const merged = ticketInReview(gw, { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' });
    expect((await runMergeGate(gw.ws, { doctor: gradeA }))[0]!.result).toBe('merged');
    git(gw.repo, 'branch', `master/${merged.id}`, 'main');
    git(gw.repo, 'worktree', 'add', '-q', '-b', 'scratch', path.join(gw.ws.paths.worktrees, 'alpha-app', 'T-99'), 'main');
    const lockFile = path.join(gw.ws.paths.data, 'locks', 'gate-alpha-app.lock');
    mkdirSync(path.dirname(lockFile), { recursive: true });
    writeFileSync(lockFile, JSON.stringify({ pid: deadPid(), host: hostname(), token: 'dead', at: new Date().toISOString() }));
    const before = await doctor(gw.home);
    expect(status(before, 'worktrees.stale').status).toBe('warn');
    expect(status(before, 'locks.alive').status).toBe('warn');
    expect(status(before, 'branches.orphan').message).toContain(`master/${merged.id} (ticket merged)`);

    const cli = master(['doctor', '--fix'], { env: { MASTER_HOME: gw.home } });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/fixed: removed worktree .*T-99/);
    expect(cli.stdout).toMatch(/fixed: released gate-alpha-app\.lock/);
    expect(cli.stdout).toMatch(new RegExp(`fixed: deleted branch master/${merged.id}`));
    expect(git(gw.repo, 'branch', '--list', `master/${merged.id}`)).toBe('');
    expect(existsSync(lockFile)).toBe(false);
    const after = await doctor(gw.home);
    expect(status(after, 'worktrees.stale').status).toBe('pass');
    expect(status(after, 'locks.alive').status).toBe('pass');
    expect(status(after, 'branches.orphan').status).toBe('pass');
  });

  it('--fix keeps a stale worktree that holds uncommitted work, and says why', async () => {
    const gw = await healthy();
    const worktree = path.join(gw.ws.paths.worktrees, 'alpha-app', 'T-77');
    git(gw.repo, 'worktree', 'add', '-q', '-b', 'scratch2', worktree, 'main');
    writeFileSync(path.join(worktree, 'precious.txt'), 'keep me\n');
    const report = await doctor(gw.home, { fix: true });
    expect(report.fixed.join('\n')).toMatch(/kept worktree .*T-77/);
    expect(readFileSync(path.join(worktree, 'precious.txt'), 'utf8')).toBe('keep me\n');
    unlinkSync(path.join(worktree, 'precious.txt'));
  });
});
