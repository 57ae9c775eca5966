import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMergeGate } from '../src/gate/index.js';
import { EventLog, LOG_START } from '../src/state/eventLog.js';
import { master } from './helpers/cli.js';
import { commitFiles, gateSteps, gradeA, makeGateWorkspace, ticketInReview, type GateWorkspace } from './helpers/gate.js';
import { git } from './helpers/workspace.js';
import { whyWaiting } from '../src/tickets/format.js';
import { openWorkspace } from '../src/workspace/open.js';

const open: GateWorkspace[] = [];
async function workspace(options: Parameters<typeof makeGateWorkspace>[0] = {}): Promise<GateWorkspace> {
  const gw = await makeGateWorkspace(options);
  open.push(gw);
  return gw;
}
afterEach(async () => {
  for (const gw of open.splice(0)) await gw.ws.store.close();
});

const FIXED_MUL = { 'src/mul.js': 'export function mul(a, b) {\n  return a * b;\n}\n' };

function logged(gw: GateWorkspace) {
  return new EventLog(gw.ws.paths.events).readFrom(LOG_START).events;
}

describe('merge gate', () => {
  it('merges a passing ticket: main moves to the checked candidate, rebased onto the current main, and the ticket work is cleaned up', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    // Main moves on after the branch was made (a file the ticket does not touch): the candidate is a rebase.
    const mainBefore = commitFiles(gw.repo, { 'docs/notes.md': '# notes\n' }, 'notes on main');
    git(gw.repo, 'checkout', '-q', '--detach');

    const outcomes = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcomes).toEqual([expect.objectContaining({ ticket: ticket.id, result: 'merged' })]);

    const merged = gw.ws.tickets.get(ticket.id);
    expect(merged.state).toBe('merged');
    const main = git(gw.repo, 'rev-parse', 'main');
    expect(merged.gate!.candidateSha).toBe(main);
    expect(merged.gate!.baseSha).toBe(mainBefore);
    expect(git(gw.repo, 'rev-parse', 'main^')).toBe(mainBefore);
    expect(git(gw.repo, 'show', 'main:src/mul.js')).toContain('a * b');
    expect(merged.gate!.verdict.mode).toBe('checks-only');
    expect(merged.gate!.checks.map((c) => [c.name, c.exitCode])).toEqual([
      ['test', 0],
      ['lint', 0],
    ]);
    expect(merged.gate!.checks[0]!.outputTail).toMatch(/pass 1/);

    // The ticket's worktree and branch are gone; the queue's gate worktree stays, at the candidate, clean.
    expect(existsSync(merged.runs[0]!.worktree)).toBe(false);
    expect(git(gw.repo, 'branch', '--list', `master/${ticket.id}`)).toBe('');
    const gateWorktree = path.join(gw.ws.paths.worktrees, 'alpha-app', 'gate');
    expect(git(gateWorktree, 'rev-parse', 'HEAD')).toBe(main);
    expect(git(gateWorktree, 'status', '--porcelain', '--ignored')).toBe('');

    // Every step streamed on the bus; every outcome stands in the log.
    expect(gateSteps(gw.events, ticket.id)).toEqual([
      'candidate:start',
      'candidate:pass',
      'check:start:test',
      'check:pass:test',
      'check:start:lint',
      'check:pass:lint',
      'verifier:pass',
      'doctor:start',
      'doctor:pass',
      'pass:done',
      'merge:intent',
      'merge:done',
      'cleanup:done',
    ]);
    expect(gw.events.some((e) => e.type === 'merge.done' && e.mainSha === main)).toBe(true);
    const log = logged(gw);
    expect(
      log
        .filter((e) => e.type === 'gate.step')
        .map((e) => {
          const step = e as Record<string, unknown>;
          return `${String(step.step)}:${String(step.status)}`;
        }),
    ).toEqual(
      gateSteps(gw.events, ticket.id)
        .filter((s) => !s.includes(':start'))
        .map((s) => s.split(':').slice(0, 2).join(':')),
    );
    expect(log.some((e) => e.type === 'merge.done' && (e as { mainSha?: string }).mainSha === main)).toBe(true);
  });

  it('rejects a ticket whose test fails, with the output as feedback, and leaves main alone', async () => {
    const gw = await workspace();
    const main = git(gw.repo, 'rev-parse', 'main');
    const ticket = ticketInReview(gw, { 'src/add.js': 'export function add(a, b) {\n  return a - b;\n}\n' });

    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('test') });
    const rejected = gw.ws.tickets.get(ticket.id);
    expect(rejected.state).toBe('rejected');
    expect(rejected.feedback.at(-1)).toMatch(/node --test/);
    expect(rejected.feedback.at(-1)).toMatch(/-1 !== 5|Expected values to be strictly equal/);
    expect(rejected.gate!.checks.find((c) => c.name === 'test')!.exitCode).not.toBe(0);
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
    expect(gateSteps(gw.events, ticket.id)).toContain('check:fail:test');
    // A rejected ticket keeps its branch for the next attempt.
    expect(git(gw.repo, 'branch', '--list', `master/${ticket.id}`)).toContain(ticket.id);
  });

  it('rejects a check that runs past its timeout', async () => {
    // The check would run ten minutes: the gate returning at all within the test's time shows the timeout ended it.
    const gw = await workspace({ repo: { checks: { test: 'sleep 600', timeoutSeconds: 1 } } });
    const ticket = ticketInReview(gw, FIXED_MUL);
    const [outcome] = await runMergeGate(gw.ws, { doctor: gradeA });
    expect(outcome!.result).toBe('rejected');
    const check = gw.ws.tickets.get(ticket.id).gate!.checks[0]!;
    expect(check).toMatchObject({ name: 'test', timedOut: true, exitCode: null });
  });

  it('rejects a conflict with the conflicting files and hunks as feedback', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, { 'src/add.js': 'export function add(a, b) {\n  return b + a; // ticket\n}\n' });
    commitFiles(gw.repo, { 'src/add.js': 'export function add(a, b) {\n  return a + b; // main\n}\n' }, 'main edits add');
    const main = git(gw.repo, 'rev-parse', 'main');

    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('src/add.js') });
    const rejected = gw.ws.tickets.get(ticket.id);
    expect(rejected.state).toBe('rejected');
    const feedback = rejected.feedback.at(-1)!;
    expect(feedback).toContain('conflicts in src/add.js');
    expect(feedback).toMatch(/<<<<<<<[\s\S]*\/\/ main[\s\S]*\/\/ ticket|<<<<<<<[\s\S]*\/\/ ticket[\s\S]*\/\/ main/);
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
    expect(git(gw.repo, 'status', '--porcelain')).toBe('');
  });

  it('rebuilds and checks again when main moves between the checks and the swap; main never points at an unchecked commit', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const original = git(gw.repo, 'rev-parse', 'main');
    let other: string | null = null;
    const seen: string[] = [];
    gw.bus.subscribe((event) => {
      if (event.type !== 'gate.step') return;
      seen.push(git(gw.repo, 'rev-parse', 'main'));
      // Someone else pushes to main right after the doctor passed the first candidate.
      if (event.step === 'doctor' && event.status === 'pass' && !other) {
        other = commitFiles(gw.repo, { 'docs/other.md': 'someone else\n' }, 'someone else moves main');
      }
    });

    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ result: 'merged', attempts: 2 });
    const merged = gw.ws.tickets.get(ticket.id);
    const main = git(gw.repo, 'rev-parse', 'main');
    expect(merged.gate!.baseSha).toBe(other);
    expect(merged.gate!.candidateSha).toBe(main);
    expect(git(gw.repo, 'rev-parse', 'main^')).toBe(other);
    expect(merged.history.map((h) => h.event)).toEqual(['approve', 'dispatch', 'submit', 'pass', 'rebuild', 'pass', 'merge']);

    // Main only ever held: the start, the other writer's commit, and a candidate whose checks passed before.
    const steps = gw.events.filter((e) => e.type === 'gate.step');
    const checked = new Set(steps.filter((e) => e.step === 'check' && e.status === 'pass').map((e) => e.candidateSha as string));
    for (const sha of [...seen, main]) expect([original, other, ...checked]).toContain(sha);
    expect(checked.has(main)).toBe(true);
    expect(steps.filter((e) => e.step === 'candidate' && e.status === 'pass')).toHaveLength(2);
    expect(steps.some((e) => e.step === 'merge' && e.status === 'moved')).toBe(true);
  });

  it('waits when the primary checkout has main checked out with uncommitted changes, touching nothing; merges and fast-forwards it once clean', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const main = git(gw.repo, 'rev-parse', 'main');
    const dirtyFile = path.join(gw.repo, 'src/add.js');
    writeFileSync(dirtyFile, 'export function add(a, b) {\n  return a + b; // operator is editing\n}\n');
    const before = { text: readFileSync(dirtyFile, 'utf8'), mtime: statSync(dirtyFile).mtimeMs, status: git(gw.repo, 'status', '--porcelain') };

    const [waiting] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(waiting).toMatchObject({ result: 'waiting', reason: expect.stringContaining('uncommitted changes (src/add.js)') });
    expect(gw.ws.tickets.get(ticket.id).state).toBe('review');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
    expect(readFileSync(dirtyFile, 'utf8')).toBe(before.text);
    expect(statSync(dirtyFile).mtimeMs).toBe(before.mtime);
    expect(git(gw.repo, 'status', '--porcelain')).toBe(before.status);
    expect(gateSteps(gw.events, ticket.id)).toEqual(['queue:wait']);

    git(gw.repo, 'checkout', '-q', '--', 'src/add.js');
    const [merged] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(merged!.result).toBe('merged');
    // The primary checkout followed main: the ticket's file is there and nothing is left uncommitted.
    expect(readFileSync(path.join(gw.repo, 'src/mul.js'), 'utf8')).toContain('a * b');
    expect(git(gw.repo, 'status', '--porcelain')).toBe('');
    expect(git(gw.repo, 'rev-parse', 'HEAD')).toBe(git(gw.repo, 'rev-parse', 'main'));
  });

  it('keeps a ticket in review with the reason when the repo wants the verifier agent and no model is configured', async () => {
    const gw = await workspace({ repo: { gate: { verifier: 'agent' } } });
    const ticket = ticketInReview(gw, FIXED_MUL);
    const [outcome] = await runMergeGate(gw.ws, { doctor: gradeA });
    expect(outcome).toMatchObject({ result: 'waiting', reason: expect.stringMatching(/verifier agent cannot run.*ANTHROPIC_API_KEY.*checks-only/) });
    expect(gw.ws.tickets.get(ticket.id).state).toBe('review');
  });

  it('holds the merge while the doctor grades below A', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const main = git(gw.repo, 'rev-parse', 'main');
    const [outcome] = await runMergeGate(gw.ws, { doctor: async () => ({ grade: 'B', passed: 19, total: 20, failing: ['hooks parse: bad.json'] }) });
    expect(outcome).toMatchObject({ result: 'waiting', reason: expect.stringContaining('doctor grades B 19/20') });
    expect(gw.ws.tickets.get(ticket.id).state).toBe('review');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
    // The wait is kept on the ticket (what `ticket show`, the report and the cockpit read), not a stall: the next run gates again.
    expect(gw.ws.tickets.get(ticket.id).hold).toMatchObject({ kind: 'doctor', reason: expect.stringMatching(/^the doctor grades B 19\/20 \(hooks parse: bad\.json\)/) });
    const [again] = await runMergeGate(gw.ws, { doctor: gradeA });
    expect(again!.result).toBe('merged');
    expect(gw.ws.tickets.get(ticket.id).hold ?? null).toBeNull();
  });

  it("a doctor's hold ends with the gate's verdict: a ticket rejected and retried does not show the old reason", async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    await runMergeGate(gw.ws, { doctor: async () => ({ grade: 'B', passed: 19, total: 20, failing: ['hooks parse: bad.json'] }) });
    expect(gw.ws.tickets.get(ticket.id).hold?.kind).toBe('doctor');
    // The ticket's branch gets a commit that fails the lint check: the next run rejects it.
    commitFiles(gw.ws.tickets.get(ticket.id).runs[0]!.worktree, { LINT_FAIL: 'x\n' }, 'break the lint');
    const [outcome] = await runMergeGate(gw.ws, { doctor: gradeA });
    expect(outcome!.result).toBe('rejected');
    expect(gw.ws.tickets.get(ticket.id).hold ?? null).toBeNull();
    const retried = gw.ws.tickets.transition(ticket.id, 'retry');
    expect(retried.state).toBe('ready');
    expect(whyWaiting(retried)).toBeNull();
  });

  it('runs the real system doctor as its last step', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus });
    expect(outcome!.result).toBe('merged');
    const evidence = gw.ws.tickets.get(ticket.id).gate!;
    expect(evidence.doctor.grade).toBe('A');
    expect(evidence.doctor.total).toBeGreaterThanOrEqual(19);
  });
});

describe('no other path to merged', () => {
  it('refuses the CLI, a transition without evidence, failing evidence, and evidence for another sha', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const main = git(gw.repo, 'rev-parse', 'main');
    await gw.ws.store.close();

    // The operator's CLI: merge and pass are the gate's events.
    for (const event of ['merge', 'pass']) {
      const cli = master(['ticket', 'move', ticket.id, event], { env: { MASTER_HOME: gw.home } });
      expect(cli.code).toBe(2);
      expect(cli.stderr).toMatch(/merge gate/);
    }

    const { tickets } = gw.ws;
    // Straight from review to merged.
    expect(() => tickets.transition(ticket.id, { type: 'merge', mainSha: main }, { by: 'gate' })).toThrow(/"merge" is not allowed from review/);
    // `pass` with no evidence, or with evidence that does not show every step passed.
    expect(() => tickets.transition(ticket.id, 'pass', { by: 'gate' })).toThrow(/needs gate evidence/);
    const good = {
      baseSha: main,
      candidateSha: git(gw.repo, 'rev-parse', `master/${ticket.id}`),
      checks: [{ name: 'test', command: 'node --test', exitCode: 0, durationMs: 5, outputTail: '' }],
      verdict: { verdict: 'pass' as const, reasons: ['ok'], mode: 'checks-only' as const },
      doctor: { grade: 'A', passed: 20, total: 20 },
      startedAt: new Date().toISOString(),
      finishedAt: new Date().toISOString(),
    };
    expect(() => tickets.transition(ticket.id, { type: 'pass', evidence: { ...good, checks: [{ ...good.checks[0]!, exitCode: 1 }] } })).toThrow(/needs gate evidence/);
    expect(() => tickets.transition(ticket.id, { type: 'pass', evidence: { ...good, verdict: { ...good.verdict, verdict: 'fail' } } })).toThrow(/needs gate evidence/);
    expect(() => tickets.transition(ticket.id, { type: 'pass', evidence: { ...good, doctor: { grade: 'B', passed: 19, total: 20 } } })).toThrow(/needs gate evidence/);

    // With evidence for the candidate, `merge` still needs exactly that sha: main (another sha) is refused.
    tickets.transition(ticket.id, { type: 'pass', evidence: good }, { by: 'gate' });
    expect(() => tickets.transition(ticket.id, { type: 'merge', mainSha: main }, { by: 'gate' })).toThrow(/needs gate evidence for exactly the commit/);
    expect(() => tickets.transition(ticket.id, { type: 'merge', mainSha: 'f'.repeat(40) }, { by: 'gate' })).toThrow(/needs gate evidence/);
    expect(tickets.get(ticket.id).state).toBe('merging');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
  });
});

describe('an operator cancel during the merge', () => {
  it('a ticket cancelled from another terminal after it passed does not move main', async () => {
    const gw = await makeGateWorkspace();
    const ticket = ticketInReview(gw, { 'src/extra.js': 'export const extra = 1;\n' });
    const before = git(gw.repo, 'rev-parse', 'main');
    const other = await openWorkspace(gw.home);
    gw.bus.subscribe((event) => {
      if (event.type === 'gate.step' && event.step === 'pass' && event.status === 'done') {
        other.tickets.transition(ticket.id, 'cancel', { by: 'operator', note: 'changed my mind' });
      }
    });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ ticket: ticket.id, result: 'dropped' });
    expect(outcome!.reason).toMatch(/cancelled now; the gate dropped its candidate and main was not moved/);
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(before);
    gw.ws.store.refresh();
    expect(gw.ws.store.state.tickets[ticket.id]!.state).toBe('cancelled');
    await other.store.close();
  });
});

describe('the merge phase when the gate itself breaks', () => {
  it('a gate that crashes on a ticket is a phase that could not complete; the ticket waits', async () => {
    const { mergePhaseWith } = await import('../src/loop/phases/merge.js');
    const gw = await makeGateWorkspace();
    const ticket = ticketInReview(gw, { 'src/extra.js': 'export const extra = 1;\n' });
    const phase = mergePhaseWith(async () => ({
      options: {
        doctor: async () => {
          throw new Error('doctor exploded');
        },
      },
    }));
    const context = { ws: gw.ws, bus: gw.bus, signal: new AbortController().signal } as unknown as Parameters<typeof phase.run>[0];
    const outcome = await phase.run(context);
    expect(outcome.ok).toBe(false);
    expect(outcome.summary).toMatch(/doctor exploded/);
    expect(gw.ws.store.state.tickets[ticket.id]!.state).toBe('review');
  });
});
