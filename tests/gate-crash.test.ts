import { spawn } from 'node:child_process';
import pLimit from 'p-limit';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { EventLog, LOG_START } from '../src/state/eventLog.js';
import { openWorkspace } from '../src/workspace/open.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { BIN, ROOT, tempDir, type CliResult } from './helpers/cli.js';
import { git, makeRepo, makeWorkspace } from './helpers/workspace.js';

/**
 * The crash test: a real `master start --ci` in its own process group is
 * frozen at a named point (MASTER_TEST_PAUSE_AT: the first event of that
 * name), its whole group is SIGKILLed there, and one more session must bring
 * every repo to the end a session without a crash reaches. No timers decide
 * where the kill lands: the session itself stops at the point.
 */

const REPOS = ['alpha-app', 'beta-app'] as const;

/** What each ticket must end as, whatever was killed where. */
const EXPECTED: Record<string, string> = {
  'T-1': 'merged', // alpha: a good change
  'T-2': 'rejected', // alpha: the check fails on its candidate
  'T-3': 'merged', // beta: a good change
  'T-4': 'failed', // beta: its script fails
};

/** Every gate step the gate logs or publishes, the dispatch's transitions, and the last records of a merge. */
const KILL_POINTS = [
  'ticket.dispatch:T-1',
  'ticket.submit:T-3',
  'gate.step:candidate:start:T-1',
  'gate.step:candidate:pass:T-1',
  'gate.step:check:start:T-1',
  'gate.step:check:pass:T-1',
  'gate.step:check:fail:T-2',
  'gate.step:verifier:pass:T-1',
  'gate.step:doctor:start:T-1',
  'gate.step:doctor:pass:T-1',
  'gate.step:pass:done:T-1',
  'gate.step:merge:intent:T-1',
  'gate.step:checkout:start:T-1',
  'gate.step:checkout:done:T-1',
  'gate.step:merge:done:T-1',
  'merge.done:T-3',
  'gate.step:cleanup:done:T-1',
];

let template: string;

beforeAll(async () => {
  template = makeWorkspace({
    brands: REPOS.map((id) => ({
      id: id.split('-')[0]!,
      name: id,
      repos: [{ id, path: `repos/${id}`, checks: { test: 'test ! -e BAD', timeoutSeconds: 60 }, gate: { verifier: 'checks-only' } }],
    })),
    // One ticket and one repo queue at a time: at a frozen point no other git process is half-way,
    // so each kill lands exactly where it is named (a kill inside git is a different test).
    dispatch: { concurrency: 1, lanesPerBrand: 1 },
  });
  for (const id of REPOS) makeRepo(path.join(template, 'repos', id), { 'README.md': `# ${id}\n` });
  const ws = await openWorkspace(template);
  const add = (brand: string, repo: string, title: string, run: string) => ws.tickets.create({ brand, repo, title, kind: 'script', run: [run], state: 'ready' });
  add('alpha', 'alpha-app', 'one', 'echo one > one.txt');
  add('alpha', 'alpha-app', 'bad', 'echo bad > BAD');
  add('beta', 'beta-app', 'three', 'echo three > three.txt');
  add('beta', 'beta-app', 'broken', 'exit 3');
  await ws.store.close();
});

const homes: string[] = [];
afterAll(() => {
  for (const home of [template, ...homes]) rmSync(home, { recursive: true, force: true });
});

/** Runs a session that freezes at `point`, then SIGKILLs its whole process group. */
async function killAt(home: string, point: string): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'start', '--ci', '--json'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MASTER_HOME: home, MASTER_TEST_PAUSE_AT: point },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(String(signal ?? code))));
  const paused = new Promise<boolean>((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /master: paused at (\S+)/.exec(stderr);
      if (match) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  if (!(await paused)) throw new Error(`the session never reached ${point}:\n${stderr}\n${stdout.slice(-2000)}`);
  process.kill(-child.pid!, 'SIGKILL');
  const how = await exited;
  if (how !== 'SIGKILL') throw new Error(`the session ended by ${how}, not by the kill`);
  return /master: paused at (\S+)/.exec(stderr)![1]!;
}

/** One more session, to its end (a process of its own, so two scenarios can run side by side). */
function session(home: string): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, 'start', '--ci'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MASTER_HOME: home } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

function logged(home: string): Array<Record<string, unknown>> {
  return new EventLog(workspacePaths(home).events).readFrom(LOG_START).events as Array<Record<string, unknown>>;
}

// Two scenarios at a time: each is two real sessions, mostly waiting on git and child processes.
const slot = pLimit(2);

describe.concurrent('SIGKILL of a whole session at every step of dispatch and the gate', () => {
  for (const point of KILL_POINTS) {
    it(`killed at ${point}: one more session brings every repo to the same consistent end`, { timeout: 900_000 }, async ({ expect }) => {
      const home = tempDir('master-crash-');
      homes.push(home);
      cpSync(template, home, { recursive: true });
      const { key, again } = await slot(async () => {
        const key = await killAt(home, point);
        return { key, again: await session(home) };
      });
      expect(key.startsWith(point)).toBe(true);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      const why = `after the kill at ${key}, the next session said:\n${again.stdout}`;

      const ws = await openWorkspace(home);
      try {
        // No ticket lost, none duplicated, none filed by a doctor that saw a half-done cleanup.
        const tickets = ws.tickets.list({ all: true });
        expect(Object.fromEntries(tickets.map((t) => [t.id, t.state])), why).toEqual(EXPECTED);

        const events = logged(home);
        const checked = new Set(events.filter((e) => e.type === 'gate.step' && e.step === 'check' && e.status === 'pass').map((e) => e.candidateSha));
        for (const repoId of REPOS) {
          const repo = path.join(home, 'repos', repoId);
          const merged = tickets.filter((t) => t.repo === repoId && t.state === 'merged');
          // Main is at the candidate whose evidence passed, and every value it ever held was the start or a checked candidate.
          const main = git(repo, 'rev-parse', 'main');
          expect(merged.map((t) => t.gate!.candidateSha)).toEqual([main]);
          const history = git(repo, 'reflog', 'show', '--format=%H', 'refs/heads/main').split('\n');
          for (const sha of history.slice(0, -1)) expect(checked.has(sha)).toBe(true);
          // The merged work is on main once.
          const file = repoId === 'alpha-app' ? 'one.txt' : 'three.txt';
          expect(git(repo, 'log', '--format=%H', 'main', '--', file).split('\n')).toHaveLength(1);
          expect(git(repo, 'show', `main:${file}`)).toBe(repoId === 'alpha-app' ? 'one' : 'three');
          // The primary checkout follows main and is clean.
          expect(git(repo, 'rev-parse', 'HEAD')).toBe(main);
          expect(git(repo, 'status', '--porcelain')).toBe('');

          // Worktrees and branches: only those of tickets that still need them, plus the queue's gate worktree.
          const open = tickets
            .filter((t) => t.repo === repoId && t.state !== 'merged' && t.state !== 'cancelled')
            .map((t) => t.id)
            .sort();
          const listed = git(repo, 'worktree', 'list', '--porcelain');
          expect(listed).not.toMatch(/prunable/);
          const registered = listed
            .split('\n')
            .filter((l) => l.startsWith('worktree '))
            .map((l) => path.basename(l.slice(9)))
            .slice(1);
          expect(registered.filter((name) => name !== 'gate').sort()).toEqual(open);
          const folder = path.join(home, '.master', 'worktrees', repoId);
          expect((existsSync(folder) ? readdirSync(folder) : []).filter((name) => name !== 'gate').sort()).toEqual(open);
          const branches = git(repo, 'for-each-ref', '--format=%(refname:strip=2)', 'refs/heads/master/').split('\n').filter(Boolean);
          expect(branches.map((b) => b.slice('master/'.length)).sort()).toEqual(open);
        }
      } finally {
        await ws.store.close();
      }
    });
  }
});
