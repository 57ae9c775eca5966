import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { tempDir } from './helpers/cli.js';
import type { BusEvent } from '../src/bus/index.js';
import { makeAgentWorkspace } from './helpers/agents.js';
import { git } from './helpers/workspace.js';

/** The most commands running at once, in total and per brand, from the tool events alone. */
function concurrency(events: BusEvent[]): { total: number; byBrand: Record<string, number> } {
  let total = 0;
  const now: Record<string, number> = {};
  const max = { total: 0, byBrand: {} as Record<string, number> };
  for (const event of events) {
    if (event.tool !== 'Bash' || (event.type !== 'tool.call' && event.type !== 'tool.result')) continue;
    const brand = String(event.brand);
    const delta = event.type === 'tool.call' ? 1 : -1;
    total += delta;
    now[brand] = (now[brand] ?? 0) + delta;
    max.total = Math.max(max.total, total);
    max.byBrand[brand] = Math.max(max.byBrand[brand] ?? 0, now[brand]!);
  }
  return max;
}

describe('parallel dispatch across brands', () => {
  it("runs many tickets with no collision, within the global limit and each brand's lanes, in priority order, all to review", async () => {
    const brands = [{ id: 'alpha' }, { id: 'beta' }, { id: 'gamma' }, { id: 'delta', lanes: 2 }];
    const { home, ws, bus, events } = await makeAgentWorkspace({
      brands,
      files: { 'README.md': '# app\n' },
      registry: { dispatch: { concurrency: 3, lanesPerBrand: 1 } },
    });
    // Barriers instead of sleeps: each command waits for its own release file, and the test releases a command only
    // once the overlap it must show has happened (three running in all, then two of delta's at once). A dispatcher
    // that never reached those overlaps would leave the commands waiting and the test would time out, not pass.
    const barriers = tempDir('master-barriers-');
    const release = (id: string) => writeFileSync(path.join(barriers, id), '');
    const begun: Array<{ id: string; brand: string }> = [];
    bus.subscribe((event) => {
      if (event.type !== 'tool.call' || event.tool !== 'Bash') return;
      begun.push({ id: String(event.ticket), brand: String(event.brand) });
      if (begun.length < 3) return;
      const deltaOverlapped = begun.filter((b) => b.brand === 'delta').length >= 2;
      for (const b of begun) if (b.brand !== 'delta' || deltaOverlapped) release(b.id);
    });
    // The id is written literally: the guards refuse commands with variables they cannot resolve.
    const command = () => {
      const id = `T-${ws.store.state.counters.ticket + 1}`;
      return `while [ ! -f ${path.join(barriers, id)} ]; do sleep 0.02; done; echo ${id} > out.txt`;
    };
    const created = [];
    for (const brand of brands) {
      for (const priority of ['p3', 'p2', 'p1', 'p0'] as const) {
        created.push(ws.tickets.create({ brand: brand.id, repo: `${brand.id}-app`, title: `${brand.id} ${priority}`, kind: 'script', run: [command()], priority, state: 'ready' }));
      }
    }
    const report = await dispatch({ ws, bus, sessionId: 'S-1' });

    const tickets = created.map((t) => ws.tickets.get(t.id));
    expect(tickets.map((t) => [t.state, t.runs[0]?.reason])).toEqual(tickets.map(() => ['review', undefined]));
    const measured = concurrency(events);
    expect(measured.total).toBe(3);
    expect(measured.byBrand).toEqual({ alpha: 1, beta: 1, gamma: 1, delta: 2 });
    expect(report.maxRunning).toEqual(measured);
    // No two runs shared a worktree or a branch; each branch holds exactly its own ticket's work.
    expect(new Set(tickets.map((t) => t.runs[0]!.worktree)).size).toBe(tickets.length);
    expect(new Set(tickets.map((t) => t.runs[0]!.branch)).size).toBe(tickets.length);
    for (const ticket of tickets) {
      const repo = path.join(home, 'repos', `${ticket.brand}-app`);
      const branch = `master/${ticket.id}`;
      expect(git(repo, 'show', '--name-only', '--format=%s', branch).split('\n').filter(Boolean)).toEqual([`${ticket.id}: ${ticket.title}`, 'out.txt']);
      expect(git(repo, 'show', `${branch}:out.txt`)).toBe(ticket.id);
      expect(git(repo, 'rev-parse', `${branch}~1`)).toBe(git(repo, 'rev-parse', 'main'));
    }
    // Within a one-lane brand, tickets start in priority order.
    const started = events.filter((e) => e.type === 'tool.call' && e.brand === 'alpha').map((e) => ws.tickets.get(String(e.ticket)).priority);
    expect(started).toEqual(['p0', 'p1', 'p2', 'p3']);
  });

  it('a failing script command fails its ticket with the output; the others still run', async () => {
    const { ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }, { id: 'beta' }], files: { 'README.md': '# app\n' } });
    const bad = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Bad', kind: 'script', run: ['echo half > half.txt', 'echo oops >&2; exit 7'], state: 'ready' });
    const good = ws.tickets.create({ brand: 'beta', repo: 'beta-app', title: 'Good', kind: 'script', run: ['date > stamp.txt'], state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1' });
    const failed = ws.tickets.get(bad.id);
    expect(failed.state).toBe('failed');
    expect(failed.runs[0]!.reason).toMatch(/`echo oops >&2; exit 7` failed: oops[\s\S]*exited 7/);
    expect(ws.tickets.get(good.id).state).toBe('review');
  });

  it('cancelling a running ticket stops its command at once; its worktree and branch are removed', async () => {
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' } });
    // The command says it runs (a file in its worktree), then would wait ten minutes: only the cancel can end it in time.
    // Its sleep is this test process's own (the pid in it), so the check below sees no one else's.
    const sleep = `sleep 600.${process.pid}`;
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Slow', kind: 'script', run: [`touch RUNNING; ${sleep}`], state: 'ready' });
    const running = path.join(home, '.master/worktrees/alpha-app', ticket.id, 'RUNNING');
    bus.subscribe((event) => {
      if (event.type !== 'tool.call' || event.ticket !== ticket.id) return;
      void vi.waitFor(() => expect(existsSync(running)).toBe(true), { timeout: 30_000, interval: 20 }).then(() => ws.tickets.transition(ticket.id, 'cancel', { note: 'not needed' }));
    });
    const report = await dispatch({ ws, bus, sessionId: 'S-1' });
    const after = ws.tickets.get(ticket.id);
    expect(after.state).toBe('cancelled');
    expect(after.runs[0]).toMatchObject({ outcome: 'requeued', reason: 'stopped: operator moved it to cancelled' });
    expect(report.swept).toEqual([`alpha-app/${ticket.id}`]);
    // Nothing it started outlives it.
    expect(spawnSync('pgrep', ['-f', sleep]).status).toBe(1);
    const repo = path.join(home, 'repos/alpha-app');
    expect(git(repo, 'branch', '--list', `master/${ticket.id}`)).toBe('');
    expect(git(repo, 'worktree', 'list').split('\n')).toHaveLength(1);
  });
});
