// Merge gate overhead beyond the checks and the verifier: candidate build (worktree + rebase),
// compare-and-swap of main, the primary checkout's fast-forward, cleanup, and the state commits.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { runMergeGate } from '../src/gate/index.js';
import { zeroUsage } from '../src/state/types.js';
import { initWorkspace, writeRegistry } from '../src/workspace/init.js';
import { openWorkspace } from '../src/workspace/open.js';
import { ms, type Section } from './lib.js';

const IDENTITY = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.invalid', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.invalid' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...IDENTITY }, encoding: 'utf8' }).trim();
}

/** A repo of `files` files and `commits` commits on main, written with one `git fast-import`. */
export function generateRepo(dir: string, files = 2000, commits = 1000): void {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  git(dir, 'symbolic-ref', 'HEAD', 'refs/heads/main');
  const parts: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}`;
  let time = 1_700_000_000;
  for (let c = 0; c < commits; c++) {
    parts.push('commit refs/heads/main', `committer Bench <bench@example.invalid> ${time++} +0000`, data(`commit ${c}`));
    if (c === 0) {
      for (let f = 0; f < files; f++) parts.push(`M 644 inline src/dir${f % 40}/file${f}.txt`, data(`file ${f}\n`.repeat(20)));
    } else {
      for (let k = 0; k < 3; k++) {
        const f = (c * 7 + k * 13) % files;
        parts.push(`M 644 inline src/dir${f % 40}/file${f}.txt`, data(`file ${f} at commit ${c}\n`.repeat(20)));
      }
    }
  }
  const result = spawnSync('git', ['fast-import', '--quiet'], { cwd: dir, input: parts.join('\n') + '\n', env: { ...process.env, ...IDENTITY } });
  if (result.status !== 0) throw new Error(`git fast-import failed: ${result.stderr.toString()}`);
  git(dir, 'checkout', '-q', '-f', 'main');
}

/** Gate overhead per ticket: wall time of the gate minus the time its checks ran, over `tickets` tickets. */
export async function measureGateOverhead(
  options: { tickets?: number; files?: number; commits?: number; bus?: import('../src/bus/index.js').Bus } = {},
): Promise<{ perTicketMs: number; checksMs: number; totalMs: number; tickets: number; merged: number; firstUseMs: number }> {
  const count = options.tickets ?? 10;
  const home = mkdtempSync(path.join(tmpdir(), 'master-bench-gate-'));
  const repoDir = path.join(home, 'repos', 'big');
  generateRepo(repoDir, options.files ?? 2000, options.commits ?? 1000);
  const paths = initWorkspace(home).paths;
  writeRegistry(paths, {
    brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'big', path: 'repos/big', checks: { test: 'true' }, gate: { verifier: 'checks-only' } }] }],
  });
  const ws = await openWorkspace(home);
  const doctor = async () => ({ grade: 'A', passed: 20, total: 20, failing: [] });
  // Every ticket branches from today's main; after the first merges, each candidate is a real rebase.
  const addTicket = (i: number) => {
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'big', title: `bench ticket ${i}`, state: 'ready' });
    const branch = `master/${ticket.id}`;
    const worktree = path.join(paths.worktrees, 'big', ticket.id);
    git(repoDir, 'worktree', 'add', '-q', '-b', branch, worktree, 'main');
    writeFileSync(path.join(worktree, `src/new-${i}.txt`), `ticket ${i}\n`);
    git(worktree, 'add', '-A');
    git(worktree, 'commit', '-q', '-m', `${ticket.id}: bench`);
    const run = { id: `R-${i}`, startedAt: ws.store.now(), worktree, branch, owner: { pid: process.pid, host: hostname() }, usage: zeroUsage(), transcript: '' };
    ws.tickets.transition(ticket.id, 'dispatch', { by: 'bench', patch: { runs: [run] } });
    ws.tickets.transition(ticket.id, 'submit', { by: 'bench' });
    return ticket.id;
  };
  // The repo queue's first ticket creates its gate worktree (a full checkout, once per repo): timed apart.
  const warmId = addTicket(-1);
  let started = performance.now();
  await runMergeGate(ws, { doctor, only: [warmId] });
  const firstUseMs = performance.now() - started;
  const ids = Array.from({ length: count }, (_, i) => addTicket(i));
  started = performance.now();
  const outcomes = await runMergeGate(ws, { ...(options.bus ? { bus: options.bus } : {}), doctor, only: ids });
  const totalMs = performance.now() - started;
  const checksMs = ids.reduce((sum, id) => sum + (ws.store.state.tickets[id]!.gate?.checks.reduce((s, c) => s + c.durationMs, 0) ?? 0), 0);
  await ws.store.close();
  const merged = outcomes.filter((o) => o.result === 'merged').length;
  return { perTicketMs: (totalMs - checksMs) / count, checksMs, totalMs, tickets: count, merged, firstUseMs };
}

export async function gateBench(): Promise<Section> {
  const result = await measureGateOverhead();
  return {
    id: 'gate',
    title: 'Merge gate overhead beyond the checks and the verifier',
    target: '≤ 300 ms per ticket on a repo of 2,000 files and 1,000 commits',
    rows: [
      {
        tickets: String(result.tickets),
        merged: String(result.merged),
        'gate wall (ms)': ms(result.totalMs),
        'checks (ms)': ms(result.checksMs),
        'overhead per ticket (ms)': ms(result.perTicketMs),
        "repo's first ticket (ms)": ms(result.firstUseMs),
      },
    ],
    verdict: result.merged === result.tickets && result.perTicketMs <= 300 ? 'met' : 'missed',
    notes:
      'One repo queue, tickets merged one after another, each branched from the same main so every candidate after the first is a real rebase. Counted: the candidate checked out in the gate worktree of the repo queue (only changed files are rewritten), rebase, compare-and-swap, fast-forward of the clean primary checkout, removal of the ticket worktree and branch, and every state commit. Timed apart: the first ticket of a repo, which creates the gate worktree (a full checkout of 2,000 files, once per repo; it stays for later sessions). Not counted: the check (`true`) and the doctor (graded A instantly; its own cost is the doctor benchmark).',
  };
}
