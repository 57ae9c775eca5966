import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Bus, type BusEvent } from '../src/bus/index.js';
import { BusyError } from '../src/errors.js';
import type { Phase } from '../src/loop/phase.js';
import { defaultPhases } from '../src/loop/phases/index.js';
import { distillPhase } from '../src/loop/phases/distill.js';
import { acquireSessionLock, runSession } from '../src/loop/session.js';
import { openWorkspace } from '../src/workspace/open.js';
import { appendLogLines } from './helpers/log.js';
import { git, makeSimpleWorkspace } from './helpers/workspace.js';
import { readFileSync, writeFileSync } from 'node:fs';

function twoRepoWorkspace(timezone = 'UTC'): string {
  return makeSimpleWorkspace({ timezone });
}

async function session(home: string, options: { clock?: () => Date; only?: Phase['name']; force?: Phase['name'][]; phases?: Phase[] } = {}) {
  const ws = await openWorkspace(home, options.clock ? { clock: options.clock } : {});
  const events: BusEvent[] = [];
  const bus = new Bus(options.clock);
  bus.subscribe((e) => events.push(e));
  const summary = await runSession(ws, {
    ci: true,
    phases: options.phases ?? defaultPhases(),
    bus,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.only ? { only: options.only } : {}),
    ...(options.force ? { force: options.force } : {}),
  });
  const phases = events.filter((e) => e.type === 'phase.start' || e.type === 'phase.skip').map((e) => `${e.phase as string}:${e.type === 'phase.start' ? 'ran' : 'skipped'}`);
  const reasons = Object.fromEntries(events.filter((e) => e.type === 'phase.start' || e.type === 'phase.skip').map((e) => [e.phase, e.reason]));
  return { summary, events, phases, reasons };
}

describe('session loop', () => {
  it('runs every phase in order, then skips the scout while nothing moved', async () => {
    const home = twoRepoWorkspace();
    const first = await session(home);
    expect(first.summary.outcome).toBe('ok');
    expect(first.phases).toEqual(['scout:ran', 'distill:skipped', 'interview:skipped', 'dispatch:ran', 'merge:skipped', 'report:ran']);
    expect(first.events[0]?.type).toBe('session.start');
    expect(first.events.at(-1)?.type).toBe('session.end');

    for (let i = 0; i < 3; i++) {
      const again = await session(home);
      expect(again.phases[0]).toBe('scout:skipped');
      expect(again.reasons.scout).toMatch(/^skip scout: no new commits in 2 tracked repos since \d\d:\d\d$/);
    }

    const repo = path.join(home, 'repos/beta-app');
    writeFileSync(path.join(repo, 'NEW.md'), 'new\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'Add the new page');
    const moved = await session(home);
    expect(moved.phases[0]).toBe('scout:ran');
    const end = moved.events.find((e) => e.type === 'phase.end' && e.phase === 'scout');
    expect(JSON.stringify(end)).toContain('Add the new page');
  });

  it('records sessions and phase results in state', async () => {
    const home = twoRepoWorkspace();
    await session(home);
    const ws = await openWorkspace(home);
    const record = ws.store.state.sessions.at(-1)!;
    expect(record.outcome).toBe('ok');
    expect(record.phases.map((p) => `${p.phase}:${p.status}`)).toEqual(['scout:ran', 'distill:skipped', 'interview:skipped', 'dispatch:ran', 'merge:skipped', 'report:ran']);
    expect(ws.store.state.phases.scout?.result).toBeDefined();
  });

  it('--only runs one phase; --force overrides the cadence', async () => {
    const home = twoRepoWorkspace();
    const only = await session(home, { only: 'report' });
    expect(only.phases).toEqual(['scout:skipped', 'distill:skipped', 'interview:skipped', 'dispatch:skipped', 'merge:skipped', 'report:ran']);
    expect(only.reasons.scout).toMatch(/not selected/);
    await session(home);
    const forced = await session(home, { force: ['scout'] });
    expect(forced.phases[0]).toBe('scout:ran');
    expect(forced.reasons.scout).toBe('scout: forced');
  });

  it('interview runs when a ticket waits for approval, and lists it headless', async () => {
    const home = twoRepoWorkspace();
    const ws = await openWorkspace(home);
    ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Needs a decision' });
    await ws.store.close();
    const run = await session(home);
    expect(run.reasons.interview).toBe('interview: 1 ticket to approve waits for the operator');
    const end = run.events.find((e) => e.type === 'phase.end' && e.phase === 'interview');
    expect(JSON.stringify(end)).toContain('Needs a decision');
  });

  it('a phase that throws fails the session but the later phases still run', async () => {
    const home = twoRepoWorkspace();
    const broken: Phase = {
      name: 'distill',
      shouldRun: () => ({ run: true, reason: 'distill: test' }),
      run: async () => {
        throw new Error('disk on fire');
      },
    };
    const phases = defaultPhases().map((p) => (p.name === 'distill' ? broken : p));
    const run = await session(home, { phases });
    expect(run.summary.outcome).toBe('failed');
    expect(run.summary.failures).toEqual([{ phase: 'distill', error: 'disk on fire' }]);
    expect(run.phases.at(-1)).toBe('report:ran');
  });

  it('distill runs at most once per calendar day of the workspace time zone', async () => {
    const home = twoRepoWorkspace('America/New_York');
    let now = new Date('2026-03-10T15:00:00Z'); // 11:00 in New York
    const clock = () => now;
    const ws = await openWorkspace(home, { clock });
    const t = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'done already' });
    // A merged ticket, written straight into the log (the ticket machine would want a whole gate run first).
    appendLogLines(ws.store, { type: 'ticket.transition', id: t.id, from: 'triage', to: 'merged', event: 'merge', by: 'gate' });
    await ws.store.close();

    const context = async () => {
      const w = await openWorkspace(home, { clock });
      return { ws: w, clock } as unknown as Parameters<typeof distillPhase.shouldRun>[0];
    };
    expect(await distillPhase.shouldRun(await context())).toMatchObject({ run: true });
    const first = await session(home, { clock, only: 'distill' });
    expect(first.phases).toContain('distill:ran');

    now = new Date('2026-03-11T03:30:00Z'); // 23:30 the same day in New York, the next day in UTC
    const later = await session(home, { clock, force: [] });
    expect(later.reasons.distill).toBe('skip distill: already ran today at 11:00');

    now = new Date('2026-03-11T05:30:00Z'); // 01:30 the next day in New York
    const nextDay = await session(home, { clock });
    expect(nextDay.reasons.distill).toMatch(/^skip distill: nothing to distill \(no ticket merged or rejected, no inbox note since 2026-03-10 11:00\)$/);
  });

  it('only one session per workspace: a second is busy, a dead holder is taken over', async () => {
    const home = twoRepoWorkspace();
    const ws = await openWorkspace(home);
    const lock = acquireSessionLock(ws);
    await expect(session(home)).rejects.toThrow(BusyError);
    await expect(session(home)).rejects.toThrow(new RegExp(`pid ${process.pid}`));
    lock.release();
    writeFileSync(ws.paths.sessionLock, JSON.stringify({ pid: 999_999, host: (await import('node:os')).hostname(), token: 'x', at: 'then' }));
    const after = await session(home);
    expect(after.summary.outcome).toBe('ok');
  });
});

describe('report and distill details', () => {
  it("the report's cost today is the workspace's calendar day, as usage is filed", async () => {
    const home = twoRepoWorkspace('Pacific/Kiritimati'); // UTC+14: late in the UTC day it is already tomorrow there
    const now = new Date('2026-11-26T20:00:00Z');
    const ws = await openWorkspace(home, { clock: () => now });
    const usage = { input: 10, output: 5, cacheRead: 0, cacheWrite: 0, costUsd: 1.25 };
    ws.store.commit(() => ({ events: [{ type: 'usage.recorded', ticket: 'T-1', brand: 'alpha', run: 'R-1', day: '2026-11-27', usage }], result: undefined }));
    ws.store.commit(() => ({ events: [{ type: 'usage.recorded', ticket: 'T-1', brand: 'alpha', run: 'R-0', day: '2026-11-26', usage: { ...usage, costUsd: 9 } }], result: undefined }));
    await ws.store.close();
    const run = await session(home, { clock: () => now, only: 'report' });
    const end = run.events.find((e) => e.type === 'phase.end' && e.phase === 'report')!;
    expect(end.reason).toContain('cost today: $1.25');
  });

  it('a second distillation the same day adds to the ledger, never replaces it', async () => {
    const home = twoRepoWorkspace();
    let now = new Date('2026-03-10T15:00:00Z');
    const clock = () => now;
    const merge = async (title: string) => {
      const ws = await openWorkspace(home, { clock });
      const t = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title });
      appendLogLines(ws.store, { type: 'ticket.transition', id: t.id, from: 'triage', to: 'merged', event: 'merge', by: 'gate' });
      await ws.store.close();
    };
    await merge('first merged');
    await session(home, { clock, only: 'distill' });
    now = new Date('2026-03-10T16:00:00Z');
    await merge('second merged');
    await session(home, { clock, force: ['distill'], only: 'distill' });
    const ledger = readFileSync(path.join(home, 'wiki/ledger/2026-03-10.md'), 'utf8');
    expect(ledger).toContain('## T-1: first merged');
    expect(ledger).toContain('## T-2: second merged');
    expect(ledger.match(/## T-1:/g)).toHaveLength(1);
  });
});
