import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { Bus } from '../src/bus/index.js';
import { Store } from '../src/state/store.js';
import { openWorkspace } from '../src/workspace/open.js';
import { makeAgentWorkspace } from './helpers/agents.js';
import { ROOT, tempDir } from './helpers/cli.js';
import { git } from './helpers/workspace.js';

describe('crash recovery', () => {
  it('after SIGKILL in the middle of a dispatch, the next one requeues the dead runs, finishes every ticket and leaves no orphan worktree', async () => {
    const brands = [{ id: 'alpha' }, { id: 'beta' }, { id: 'gamma' }];
    const { home, ws: setup } = await makeAgentWorkspace({ brands, files: { 'README.md': '# app\n' }, registry: { dispatch: { concurrency: 3, lanesPerBrand: 1 } } });
    // Every command waits for this file, which appears only after the kill: the child is killed with three runs in
    // the middle of their command, however slow the machine.
    const barrier = path.join(tempDir('master-barrier-'), 'go');
    for (const brand of brands) {
      for (let i = 0; i < 3; i++) {
        const id = `T-${setup.store.state.counters.ticket + 1}`;
        setup.tickets.create({
          brand: brand.id,
          repo: `${brand.id}-app`,
          title: `${brand.id} ${i}`,
          kind: 'script',
          run: [`while [ ! -f ${barrier} ]; do sleep 0.02; done; echo ${id} > out.txt`],
          state: 'ready',
        });
      }
    }
    await setup.store.close();

    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests/fixtures/dispatchChild.ts'), home], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    const watcher = await Store.open(setup.paths);
    const running = () => Object.values(watcher.state.tickets).filter((t) => t.state === 'running').length;
    try {
      await vi.waitFor(
        () => {
          watcher.refresh();
          const runs = Object.values(watcher.state.tickets)
            .filter((t) => t.state === 'running')
            .map((t) => t.runs.at(-1)!);
          expect(running()).toBe(3);
          for (const run of runs) expect(existsSync(path.join(run.worktree, '.git'))).toBe(true);
        },
        { timeout: 60_000, interval: 50 },
      );
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`the child never had three runs going: ${stderr}`, { cause: error });
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    watcher.refresh();
    const killedRuns = Object.values(watcher.state.tickets)
      .filter((t) => t.state === 'running')
      .map((t) => t.id);
    expect(killedRuns).toHaveLength(3);
    await watcher.close();
    writeFileSync(barrier, '');

    const bus = new Bus();
    const ws = await openWorkspace(home, { bus });
    const report = await dispatch({ ws, bus, sessionId: 'S-2' });
    expect(report.recovered.sort()).toEqual(killedRuns.sort());

    const tickets = ws.tickets.list();
    expect(tickets.map((t) => [t.id, t.state])).toEqual(tickets.map((t) => [t.id, 'review']));
    for (const id of killedRuns) {
      const runs = ws.tickets.get(id).runs;
      expect(runs.map((r) => r.outcome)).toEqual(['requeued', 'submitted']);
      expect(runs[0]!.reason).toMatch(/owner \(pid \d+\) died/);
      expect(ws.tickets.get(id).history.some((h) => h.event === 'requeue' && h.by === 'recovery')).toBe(true);
    }
    // Every worktree under .master/worktrees is a live git worktree of a ticket that needs it, and git knows no other.
    for (const brand of brands) {
      const repo = path.join(home, 'repos', `${brand.id}-app`);
      const listed = git(repo, 'worktree', 'list', '--porcelain');
      expect(listed).not.toMatch(/prunable/);
      const registered = listed
        .split('\n')
        .filter((l) => l.startsWith('worktree '))
        .map((l) => l.slice(9))
        .slice(1)
        .sort();
      const folder = path.join(home, '.master/worktrees', `${brand.id}-app`);
      const onDisk = readdirSync(folder)
        .map((name) => path.join(folder, name))
        .sort();
      expect(registered).toEqual(onDisk);
      for (const dir of onDisk) expect(ws.tickets.get(path.basename(dir)).state).toBe('review');
      for (const ticket of tickets.filter((t) => t.brand === brand.id)) {
        expect(git(repo, 'show', `master/${ticket.id}:out.txt`)).toBe(ticket.id);
        expect(existsSync(ticket.runs.at(-1)!.worktree)).toBe(true);
      }
    }
    await ws.store.close();
  });
});
