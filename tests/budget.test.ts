import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { openModel, type ModelEndpoint } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { calendarDay } from '../src/calendar.js';
import { runMergeGate } from '../src/gate/index.js';
import type { Workspace } from '../src/workspace/open.js';
import { FAST_RETRY, makeAgentWorkspace } from './helpers/agents.js';
import { commitFiles, gradeA, makeGateWorkspace, ticketInReview } from './helpers/gate.js';
import { git } from './helpers/workspace.js';
import { master } from './helpers/cli.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

/** What a brand already spent today (an earlier run's recorded usage). */
function spent(ws: Workspace, brand: string, costUsd: number, tokens = 0): void {
  ws.store.record({
    type: 'usage.recorded',
    ticket: 'T-0',
    brand,
    run: 'R-0',
    day: calendarDay(ws.store.clock(), ws.registry.timezone),
    usage: { input: tokens, output: 0, cacheRead: 0, cacheWrite: 0, costUsd },
  });
}

const WRITE_AND_FINISH: ScriptTurn[] = [
  {
    tools: [
      { name: 'Write', input: { file_path: 'done.txt', content: 'done\n' } },
      { name: 'Finish', input: { summary: 'done' } },
    ],
  },
];
type ScriptTurn = ModelScript['tickets'][string][number];

async function scriptedModel(ws: Workspace, home: string, script: ModelScript): Promise<ModelEndpoint> {
  const model = await openModel(ws.registry, home, { script, recordRequests: true });
  cleanup.push(() => model.close());
  return model;
}

describe('daily budgets hold back runs they cannot cover', () => {
  it('a brand whose daily budget is spent starts no run: the ticket stays ready and says why, the model gets no request, other brands run', async () => {
    const script: ModelScript = { tickets: { 'Alpha work': WRITE_AND_FINISH, 'Beta work': WRITE_AND_FINISH } };
    const { home, ws, bus, events } = await makeAgentWorkspace({
      brands: [{ id: 'alpha' }, { id: 'beta' }],
      script,
      files: { 'README.md': '# app\n' },
    });
    ws.registry.brands[0]!.budget = { day: { maxCostUsd: 1 } };
    spent(ws, 'alpha', 1);
    const model = await scriptedModel(ws, home, script);
    const alpha = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Alpha work', state: 'ready' });
    const beta = ws.tickets.create({ brand: 'beta', repo: 'beta-app', title: 'Beta work', state: 'ready' });
    const report = await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });

    const held = ws.tickets.get(alpha.id);
    expect(held.state).toBe('ready');
    expect(held.runs).toEqual([]);
    expect(held.hold).toMatchObject({ kind: 'budget', reason: expect.stringMatching(/brand alpha has \$0 of its \$1 daily budget left \(brands\[alpha\]\.budget\.day\.maxCostUsd\)/) });
    expect(report.budget.alpha).toBe(held.hold!.reason);
    expect(report.waiting).toContain(held.hold!.reason);
    expect(events.some((e) => e.type === 'dispatch.waiting' && e.reason === held.hold!.reason)).toBe(true);
    expect(model.server!.requests.filter((r) => r.ticket === alpha.id || r.ticket === 'Alpha work')).toEqual([]);
    expect(ws.tickets.get(beta.id).state).toBe('review');
  });

  it("the workspace's day refuses a run when less is left than one run may cost, and lets it start once enough is left", async () => {
    const script: ModelScript = { tickets: { Work: WRITE_AND_FINISH } };
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }, { id: 'beta' }], script, files: { 'README.md': '# app\n' } });
    ws.registry.budget = { run: { maxCostUsd: 0.5 }, day: { maxCostUsd: 2 } };
    spent(ws, 'beta', 1.7);
    const model = await scriptedModel(ws, home, script);
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Work', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
    expect(ws.tickets.get(ticket.id).state).toBe('ready');
    expect(ws.tickets.get(ticket.id).hold!.reason).toMatch(
      /the workspace has \$0\.3 of its \$2 daily budget left \(budget\.day\.maxCostUsd\), less than one run may cost \(\$0\.5, budget\.run\.maxCostUsd\)/,
    );

    ws.registry.budget = { run: { maxCostUsd: 0.25 }, day: { maxCostUsd: 2 } };
    await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });
    const ran = ws.tickets.get(ticket.id);
    expect(ran.state).toBe('review');
    expect(ran.hold).toBeNull();
  });
});

describe('a run that crosses its limit', () => {
  // Each turn reports 1000 input tokens: the run crosses 1500 after its second turn.
  const turns: ScriptTurn[] = [
    { usage: { input: 1000, output: 10 }, tools: [{ name: 'Bash', input: { command: 'echo step >> log.txt' } }] },
    { usage: { input: 1000, output: 10 }, tools: [{ name: 'Bash', input: { command: 'echo step >> log.txt' } }] },
    { usage: { input: 1000, output: 10 }, tools: [{ name: 'Finish', input: { summary: 'logged' } }] },
  ];
  const script: ModelScript = { tickets: { 'Log steps': turns } };

  it('is stopped at the next turn; the ticket goes back to ready with the reason and its worktree is kept; the next run continues in it', async () => {
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script, files: { 'README.md': '# app\n' } });
    ws.registry.budget = { run: { maxTokens: 1500 } };
    const model = await scriptedModel(ws, home, script);
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Log steps', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });

    const stopped = ws.tickets.get(ticket.id);
    expect(stopped.state).toBe('ready');
    const run = stopped.runs[0]!;
    expect(run).toMatchObject({ outcome: 'requeued', stoppedBy: 'budget' });
    expect(run.reason).toMatch(/stopped by its budget: the run used 2020 tokens, its limit is 1500 \(budget\.run\.maxTokens\); the worktree is kept/);
    expect(stopped.history.at(-1)).toMatchObject({ event: 'requeue', to: 'ready', note: run.reason });
    expect(stopped.hold!.reason).toBe(run.reason);
    // Two turns were asked for, never the third; the usage was recorded.
    expect(model.server!.requests.map((r) => r.turn)).toEqual([0, 1]);
    expect(run.usage.input).toBe(2000);
    expect(ws.store.state.usage.byBrandDay[`alpha/${calendarDay(ws.store.clock(), 'UTC')}`]!.input).toBe(2000);
    const worktree = run.worktree;
    expect(readFileSync(path.join(worktree, 'log.txt'), 'utf8')).toBe('step\nstep\n');

    // With room for the run, the next one continues in the same worktree (the log grows, it is not reset).
    ws.registry.budget = { run: { maxTokens: 100_000 } };
    await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });
    const done = ws.tickets.get(ticket.id);
    expect(done.state).toBe('review');
    expect(git(path.join(home, 'repos/alpha-app'), 'show', `master/${ticket.id}:log.txt`)).toBe('step\nstep\nstep\nstep');
    const firstOfSecond = model.server!.requests[2]!.body.messages as Array<{ content: unknown }>;
    expect(JSON.stringify(firstOfSecond[0]!.content)).toMatch(/was stopped by a budget/);
    expect(existsSync(worktree)).toBe(true);
  });
});

describe('the gate does not re-verify what it could not finish when nothing changed', () => {
  it('holds after two failures on the same commits, says so, and verifies again after a new commit or `recheck`', async () => {
    const gw = await makeGateWorkspace({
      registry: { models: { provider: 'scripted', default: 'scripted-demo', script: 'model-script.json' } },
      repo: { gate: { verifier: 'agent' }, checks: { timeoutSeconds: 60 } },
    });
    writeFileSync(path.join(gw.home, 'model-script.json'), JSON.stringify({ tickets: {} }));
    cleanup.push(() => gw.ws.store.close());
    const ticket = ticketInReview(gw, { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' });
    let calls = 0;
    const verifier = async () => {
      calls++;
      throw new Error('the verifier run failed: hit the turn limit (30 turns) before calling Finish');
    };
    const gate = () => runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, verifier });
    expect((await gate())[0]!.reason).toMatch(/the verifier could not finish/);
    expect((await gate())[0]!.reason).toMatch(/the verifier could not finish/);
    expect(calls).toBe(2);

    const [held] = await gate();
    expect(calls).toBe(2);
    expect(held!.result).toBe('waiting');
    expect(held!.reason).toMatch(
      new RegExp(
        `${ticket.id} waits in review: the gate failed 2 times on the same commits .*not verified again until main or master/${ticket.id} gets new commits, or the operator runs \`master ticket recheck ${ticket.id}\``,
      ),
    );
    expect(gw.ws.tickets.get(ticket.id).hold?.kind).toBe('gate');

    // A new commit on main: verified again (and fails once more, which starts a new count).
    commitFiles(gw.repo, { 'NOTES.md': 'notes\n' }, 'notes');
    await gate();
    expect(calls).toBe(3);
    await gate();
    await gate();
    expect(calls).toBe(4);

    // The operator's recheck (the real CLI) clears the hold; a ticket not held is refused with a reason.
    const recheck = master(['ticket', 'recheck', ticket.id], { env: { MASTER_HOME: gw.home } });
    expect(recheck).toMatchObject({ code: 0, stdout: expect.stringContaining('verifies it again') });
    gw.ws.store.refresh();
    await gate();
    expect(calls).toBe(5);
    expect(master(['ticket', 'recheck', 'T-99'], { env: { MASTER_HOME: gw.home } }).code).toBe(2);
  });
});

describe('master usage', () => {
  it('reports tokens and cost by day, brand and ticket (text and --json), filtered by --brand and --since; bad input exits 2', async () => {
    const { home, ws } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }, { id: 'beta' }], files: { 'README.md': '# app\n' } });
    const usage = (costUsd: number, input: number) => ({ input, output: 10, cacheRead: 0, cacheWrite: 0, costUsd });
    ws.store.record({ type: 'usage.recorded', ticket: 'T-1', brand: 'alpha', run: 'R-1', day: '2026-01-01', usage: usage(0.5, 1000) });
    ws.store.record({ type: 'usage.recorded', ticket: 'T-1', brand: 'alpha', run: 'R-2', day: '2026-01-02', usage: usage(0.25, 500) });
    ws.store.record({ type: 'usage.recorded', ticket: 'T-2', brand: 'beta', run: 'R-3', day: '2026-01-02', usage: usage(1, 2000), estimate: true });
    await ws.store.close();

    const all = master(['usage', '--json'], { env: { MASTER_HOME: home } });
    expect(all.code).toBe(0);
    const report = JSON.parse(all.stdout);
    expect(report.byDay.map((r: { key: string; tokens: number }) => [r.key, r.tokens])).toEqual([
      ['2026-01-01', 1010],
      ['2026-01-02', 2520],
    ]);
    expect(report.byBrand.map((r: { key: string; usage: { costUsd: number } }) => [r.key, r.usage.costUsd])).toEqual([
      ['alpha', 0.75],
      ['beta', 1],
    ]);
    expect(report.byTicket.map((r: { key: string; runs: number; estimate: boolean }) => [r.key, r.runs, r.estimate])).toEqual([
      ['T-1', 2, false],
      ['T-2', 1, true],
    ]);
    expect(report.total).toMatchObject({ tokens: 3530, runs: 3, estimate: true });

    const alphaSince = master(['usage', '--brand', 'alpha', '--since', '2026-01-02'], { env: { MASTER_HOME: home } });
    expect(alphaSince.code).toBe(0);
    expect(alphaSince.stdout).toContain('usage (brand alpha, since 2026-01-02)');
    expect(alphaSince.stdout).toMatch(/T-1 \(alpha\)\s+510 tokens\s+1 run\s+\$0\.2500/);
    expect(alphaSince.stdout).not.toContain('2026-01-01');
    expect(alphaSince.stdout).not.toContain('beta');

    const text = master(['usage'], { env: { MASTER_HOME: home } });
    expect(text.stdout).toMatch(/\(est\.\) marks cost estimated/);

    const badDay = master(['usage', '--since', 'yesterday'], { env: { MASTER_HOME: home } });
    expect(badDay).toMatchObject({ code: 2, stderr: expect.stringContaining('give it as YYYY-MM-DD') });
    expect(master(['usage', '--since', '2026-02-31'], { env: { MASTER_HOME: home } })).toMatchObject({ code: 2, stderr: expect.stringContaining('"2026-02-31" is not a day') });
    const badBrand = master(['usage', '--brand', 'nope'], { env: { MASTER_HOME: home } });
    expect(badBrand).toMatchObject({ code: 2, stderr: expect.stringContaining('brands: alpha, beta') });
    expect(badBrand.stderr).not.toMatch(/\n\s+at /);
  });
});
