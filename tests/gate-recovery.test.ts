import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runDoctor } from '../src/doctor/index.js';
import { runMergeGate } from '../src/gate/index.js';
import type { GateEvidence, Ticket } from '../src/state/types.js';
import { openWorkspace, type Workspace } from '../src/workspace/open.js';
import { master } from './helpers/cli.js';
import { commitFiles, gradeA, makeGateWorkspace, ticketInReview, type GateWorkspace } from './helpers/gate.js';
import { git } from './helpers/workspace.js';

const open: Array<{ store: { close(): Promise<void> } }> = [];
async function workspace(options: Parameters<typeof makeGateWorkspace>[0] = {}): Promise<GateWorkspace> {
  const gw = await makeGateWorkspace(options);
  open.push(gw.ws);
  return gw;
}
async function another(home: string): Promise<Workspace> {
  const ws = await openWorkspace(home);
  open.push(ws);
  return ws;
}
afterEach(async () => {
  for (const ws of open.splice(0)) await ws.store.close();
});

const FIXED_MUL = { 'src/mul.js': 'export function mul(a, b) {\n  return a * b;\n}\n' };

function evidenceFor(base: string, candidate: string): GateEvidence {
  const at = new Date().toISOString();
  return {
    baseSha: base,
    candidateSha: candidate,
    checks: [{ name: 'test', command: 'node --test', exitCode: 0, durationMs: 5, outputTail: '' }],
    verdict: { verdict: 'pass', reasons: ['ok'], mode: 'checks-only' },
    doctor: { grade: 'A', passed: 20, total: 20 },
    startedAt: at,
    finishedAt: at,
  };
}

/**
 * The state a gate leaves when it dies right after the compare-and-swap: the
 * ticket passed (in `merging`), main points at its candidate, and the primary
 * checkout (main checked out, clean before) did not follow.
 */
function crashAfterSwap(gw: GateWorkspace, ticket: Ticket): { base: string; candidate: string } {
  const base = git(gw.repo, 'rev-parse', 'main');
  const candidate = git(gw.repo, 'rev-parse', `master/${ticket.id}`);
  gw.ws.tickets.transition(ticket.id, { type: 'pass', evidence: evidenceFor(base, candidate) }, { by: 'gate' });
  git(gw.repo, 'update-ref', '-m', `master gate: ${ticket.id}`, 'refs/heads/main', candidate, base);
  // What the operator sees: the merged file as a staged deletion.
  expect(git(gw.repo, 'status', '--porcelain')).toBe('D  src/mul.js');
  return { base, candidate };
}

describe('a crash between the swap of main and the checkout update', () => {
  it('the next gate run finishes the merge and brings the primary checkout up to main, clean', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const { candidate } = crashAfterSwap(gw, ticket);

    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ ticket: ticket.id, result: 'merged', mainSha: candidate });
    expect(gw.ws.tickets.get(ticket.id).state).toBe('merged');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(candidate);
    expect(git(gw.repo, 'status', '--porcelain')).toBe('');
    expect(readFileSync(path.join(gw.repo, 'src/mul.js'), 'utf8')).toContain('a * b');
    expect(existsSync(ticket.runs[0]!.worktree)).toBe(false);
    expect(git(gw.repo, 'branch', '--list', `master/${ticket.id}`)).toBe('');
  });

  it('a later ticket is not held by "uncommitted changes": the checkout follows main first, then it merges', async () => {
    const gw = await workspace();
    const first = ticketInReview(gw, FIXED_MUL);
    const second = ticketInReview(gw, { 'docs/two.md': '# two\n' });
    // The first merged (its state says so) but the checkout never followed: an older gate's leftover.
    const { base, candidate } = crashAfterSwap(gw, first);
    gw.ws.tickets.transition(first.id, { type: 'merge', mainSha: candidate }, { by: 'gate' });
    expect(base).not.toBe(candidate);

    const outcomes = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, only: [second.id] });
    expect(outcomes).toEqual([expect.objectContaining({ ticket: second.id, result: 'merged' })]);
    expect(git(gw.repo, 'status', '--porcelain')).toBe('');
    expect(readFileSync(path.join(gw.repo, 'src/mul.js'), 'utf8')).toContain('a * b');
    expect(readFileSync(path.join(gw.repo, 'docs/two.md'), 'utf8')).toBe('# two\n');
  });

  it('a checkout behind main that cannot follow (an untracked file in the way) holds the gate with "do not commit or stash", touching nothing', async () => {
    const gw = await workspace();
    const first = ticketInReview(gw, FIXED_MUL);
    const second = ticketInReview(gw, { 'docs/two.md': '# two\n' });
    const { candidate } = crashAfterSwap(gw, first);
    writeFileSync(path.join(gw.repo, 'src/mul.js'), 'operator scratch\n');

    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, only: [second.id] });
    expect(outcome).toMatchObject({ ticket: second.id, result: 'waiting' });
    expect(outcome!.reason).toMatch(/is behind main .* could not follow .*; do not commit or stash/);
    expect(outcome!.reason).not.toMatch(/commit or stash them/);
    expect(readFileSync(path.join(gw.repo, 'src/mul.js'), 'utf8')).toBe('operator scratch\n');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(candidate);
  });

  it('the doctor says "behind main, follow it" (never "commit or stash"), and `doctor --fix` fast-forwards the checkout', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const { candidate } = crashAfterSwap(gw, ticket);
    gw.ws.tickets.transition(ticket.id, { type: 'merge', mainSha: candidate }, { by: 'gate' });
    await gw.ws.store.close();
    open.splice(0);

    const looked = master(['doctor', '--json'], { env: { MASTER_HOME: gw.home } });
    const check = (JSON.parse(looked.stdout) as { checks: Array<{ id: string; message: string; fix: string }> }).checks.find((c) => c.id === 'repos.checkouts')!;
    expect(check.message).toMatch(/alpha-app .* is behind main/);
    expect(check.message).toMatch(/do not commit or stash/);
    expect(check.fix).toMatch(/doctor --fix` fast-forwards/);
    expect(check.fix).not.toMatch(/commit or stash/);

    const fixed = master(['doctor', '--fix'], { env: { MASTER_HOME: gw.home } });
    expect(fixed.stdout).toMatch(/fixed: fast-forwarded alpha-app/);
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(candidate);
    expect(git(gw.repo, 'status', '--porcelain')).toBe('');
    expect(readFileSync(path.join(gw.repo, 'src/mul.js'), 'utf8')).toContain('a * b');
  });

  it('changes of the operator are not taken for "behind": the doctor keeps "commit or stash", and --fix touches nothing', async () => {
    const gw = await workspace();
    commitFiles(gw.repo, { 'docs/a.md': 'a\n' }, 'a');
    // A real local edit on main: not an earlier main.
    const edited = path.join(gw.repo, 'src/add.js');
    const text = 'export function add(a, b) {\n  return a + b; // editing\n}\n';
    writeFileSync(edited, text);
    await gw.ws.store.close();
    open.splice(0);
    const fixed = master(['doctor', '--fix', '--json'], { env: { MASTER_HOME: gw.home } });
    const check = (JSON.parse(fixed.stdout) as { checks: Array<{ id: string; message: string; fix: string }> }).checks.find((c) => c.id === 'repos.checkouts')!;
    expect(check.message).toMatch(/uncommitted change/);
    expect(check.message).not.toMatch(/behind/);
    expect(readFileSync(edited, 'utf8')).toBe(text);
  });
});

describe('a ref lock left by a git process killed during the swap', () => {
  it('is not taken for "main moved": the ticket waits in merging with the lock named, and merges once it is gone', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const main = git(gw.repo, 'rev-parse', 'main');
    const lock = path.join(gw.repo, '.git', 'refs', 'heads', 'main.lock');
    writeFileSync(lock, '');
    const [waiting] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(waiting).toMatchObject({ result: 'waiting', attempts: 1, reason: expect.stringMatching(/waits in merging: git could not move main .*main\.lock/) });
    expect(gw.ws.tickets.get(ticket.id).state).toBe('merging');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
    rmSync(lock);
    const [merged] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(merged).toMatchObject({ result: 'merged' });
    expect(git(gw.repo, 'status', '--porcelain')).toBe('');
  });
});

describe('a cancel from another process while the gate has the ticket', () => {
  // Every point of the gate where another terminal can act before main moves.
  const points = ['candidate:pass', 'check:start', 'check:pass', 'check:fail', 'verifier:pass', 'doctor:start', 'doctor:pass', 'pass:done', 'merge:intent'];
  for (const point of points) {
    it(`at ${point}: the candidate is dropped, main does not move, the queue goes on to the next ticket`, async () => {
      const gw = await workspace();
      // check:fail needs a failing check: the first ticket then breaks the test (a reject that meets a cancel).
      const first = ticketInReview(gw, point === 'check:fail' ? { 'src/add.js': 'export function add(a, b) {\n  return a - b;\n}\n' } : FIXED_MUL);
      const second = ticketInReview(gw, { 'docs/two.md': '# two\n' });
      const before = git(gw.repo, 'rev-parse', 'main');
      const other = await another(gw.home);
      let cancelled = false;
      gw.bus.subscribe((event) => {
        if (cancelled || event.type !== 'gate.step' || event.ticket !== first.id) return;
        if (`${String(event.step)}:${String(event.status)}` !== point) return;
        cancelled = true;
        other.tickets.transition(first.id, 'cancel', { by: 'operator', note: 'not this one' });
      });

      const outcomes = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
      expect(cancelled).toBe(true);
      expect(outcomes.find((o) => o.ticket === first.id)).toMatchObject({ result: 'dropped', reason: expect.stringMatching(/cancelled now; the gate dropped its candidate and main was not moved/) });
      expect(outcomes.some((o) => o.crashed)).toBe(false);
      gw.ws.store.refresh();
      expect(gw.ws.store.state.tickets[first.id]!.state).toBe('cancelled');
      // The next ticket merged on the untouched main: nothing of the first is on it.
      expect(outcomes.find((o) => o.ticket === second.id)).toMatchObject({ result: 'merged' });
      expect(git(gw.repo, 'rev-parse', 'main^')).toBe(before);
      expect(() => git(gw.repo, 'cat-file', '-e', 'main:src/mul.js')).toThrow();
      const gateWorktree = path.join(gw.ws.paths.worktrees, 'alpha-app', 'gate');
      expect(git(gateWorktree, 'status', '--porcelain', '--ignored')).toBe('');
    });
  }

  it('a ticket moved back to ready (cancel, reopen, approve) before its turn is left alone; the session does not fail', async () => {
    const gw = await workspace();
    const first = ticketInReview(gw, FIXED_MUL);
    const second = ticketInReview(gw, { 'docs/two.md': '# two\n' });
    const other = await another(gw.home);
    gw.bus.subscribe((event) => {
      if (event.type === 'gate.step' && event.ticket === first.id && event.step === 'check' && event.status === 'start' && other.store.state.tickets[second.id]!.state === 'review') {
        other.tickets.transition(second.id, 'cancel', { by: 'operator' });
        other.tickets.transition(second.id, 'reopen', { by: 'operator' });
        other.tickets.transition(second.id, 'approve', { by: 'operator' });
      }
    });
    const outcomes = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcomes.map((o) => [o.ticket, o.result])).toEqual([
      [first.id, 'merged'],
      [second.id, 'dropped'],
    ]);
    gw.ws.store.refresh();
    expect(gw.ws.store.state.tickets[second.id]!.state).toBe('ready');
  });
});

describe("the gate's doctor and a ticket the gate finishes while the doctor reads", () => {
  it('a ticket merged and cleaned up between the read of the state and the read of git is not "in review without a branch", and nothing is filed', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, FIXED_MUL);
    const pending = runDoctor({ paths: gw.ws.paths, registry: gw.ws.registry, store: gw.ws.store, tickets: gw.ws.tickets }, { file: true });
    // One turn of the microtask queue: the doctor has read the state (the ticket in review), git not yet.
    await Promise.resolve();
    // Meanwhile another repo queue's gate finishes this ticket, as the gate does: log first, then the branch goes.
    const base = git(gw.repo, 'rev-parse', 'main');
    const candidate = git(gw.repo, 'rev-parse', `master/${ticket.id}`);
    gw.ws.tickets.transition(ticket.id, { type: 'pass', evidence: evidenceFor(base, candidate) }, { by: 'gate' });
    git(gw.repo, 'merge', '-q', '--ff-only', candidate);
    gw.ws.tickets.transition(ticket.id, { type: 'merge', mainSha: candidate }, { by: 'gate' });
    git(gw.repo, 'worktree', 'remove', '--force', ticket.runs[0]!.worktree);
    git(gw.repo, 'branch', '-D', `master/${ticket.id}`);

    const report = await pending;
    const consistent = report.checks.find((c) => c.id === 'tickets.consistent')!;
    expect(consistent.status).not.toBe('fail');
    expect(report.filed).toEqual([]);
    expect(Object.values(gw.ws.store.state.tickets).filter((t) => t.kind === 'housekeeping')).toEqual([]);
  });
});

describe('the sweep at session start', () => {
  it("a session with nothing ready removes merged and cancelled tickets' worktrees and branches; a ticket in review keeps its own", async () => {
    const gw = await workspace();
    const merged = ticketInReview(gw, FIXED_MUL);
    const cancelled = ticketInReview(gw, { 'docs/c.md': 'c\n' });
    const review = ticketInReview(gw, { 'docs/r.md': 'r\n' });
    // A session killed right after `merge`: the ticket is merged, its worktree and branch are still there.
    const base = git(gw.repo, 'rev-parse', 'main');
    const candidate = git(gw.repo, 'rev-parse', `master/${merged.id}`);
    gw.ws.tickets.transition(merged.id, { type: 'pass', evidence: evidenceFor(base, candidate) }, { by: 'gate' });
    git(gw.repo, 'merge', '-q', '--ff-only', candidate);
    gw.ws.tickets.transition(merged.id, { type: 'merge', mainSha: candidate }, { by: 'gate' });
    gw.ws.tickets.transition(cancelled.id, 'cancel', { by: 'operator' });
    // The merge phase would gate the review ticket: hold it out of this session with a dirty checkout.
    writeFileSync(path.join(gw.repo, 'scratch.txt'), 'operator notes\n');
    await gw.ws.store.close();
    open.splice(0);

    const session = master(['start', '--ci', '--only', 'report'], { env: { MASTER_HOME: gw.home } });
    expect(session.stderr).toBe('');
    for (const t of [merged, cancelled]) {
      expect(existsSync(t.runs[0]!.worktree)).toBe(false);
      expect(git(gw.repo, 'branch', '--list', `master/${t.id}`)).toBe('');
    }
    expect(existsSync(review.runs[0]!.worktree)).toBe(true);
    expect(git(gw.repo, 'branch', '--list', `master/${review.id}`)).toContain(review.id);
    expect(git(gw.repo, 'worktree', 'list', '--porcelain')).not.toMatch(/prunable/);
  });
});
