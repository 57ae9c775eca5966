import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { runDoctor } from '../src/doctor/index.js';
import { runMergeGate } from '../src/gate/index.js';
import { sweepClosedTicketWork } from '../src/gate/sweep.js';
import { defaultPhases } from '../src/loop/phases/index.js';
import type { SessionReport } from '../src/loop/phases/report.js';
import { formatEventLine } from '../src/loop/reporter.js';
import { runSession } from '../src/loop/session.js';
import { master } from './helpers/cli.js';
import { gradeA, makeGateWorkspace, ticketInReview, type GateWorkspace } from './helpers/gate.js';
import { git } from './helpers/workspace.js';

const SCRIPTED = { provider: 'scripted' as const, default: 'scripted-demo', script: 'model-script.json' };

const opened: GateWorkspace[] = [];
afterEach(async () => {
  for (const gw of opened.splice(0)) await gw.ws.store.close();
});

async function workspace(options: { verifier?: 'agent'; script?: ModelScript } = {}): Promise<GateWorkspace> {
  const gw = await makeGateWorkspace({
    registry: { models: SCRIPTED },
    ...(options.verifier ? { repo: { gate: { verifier: options.verifier } } } : {}),
  });
  writeFileSync(path.join(gw.home, 'model-script.json'), JSON.stringify(options.script ?? { tickets: {} }));
  opened.push(gw);
  return gw;
}

const show = (gw: GateWorkspace, id: string) => master(['ticket', 'show', id, '--home', gw.home]);
const lines = (gw: GateWorkspace) => gw.events.map((e) => formatEventLine(e)).filter((l): l is string => l !== null);

describe('a ticket that cannot move on says why where the operator looks', () => {
  it('verifiers that end without a verdict: ticket show, the merge summary, the report and its lines name every waiting ticket and why', async () => {
    const gw = await workspace({
      verifier: 'agent',
      script: { tickets: { 'verify:T-1': [{ text: 'Looks fine.' }], 'verify:T-2': [{ text: 'Also fine.' }] } },
    });
    ticketInReview(gw, { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' }, { title: 'Add mul' });
    ticketInReview(gw, { 'src/div.js': 'export const div = (a, b) => a / b;\n' }, { title: 'Add div' });
    const summary = await runSession(gw.ws, { ci: true, phases: defaultPhases(), bus: gw.bus, only: 'merge' });
    expect(summary.results.merge?.summary).toBe('merge gate: 0 merged, 0 rejected, 2 waiting (T-1, T-2)');
    const out = lines(gw);
    // What the verifier said instead of a verdict is the reason, on the ticket's own line.
    for (const [id, said] of [
      ['T-1', 'Looks fine\\.'],
      ['T-2', 'Also fine\\.'],
    ]) {
      expect(out).toContainEqual(
        expect.stringMatching(new RegExp(`note      ${id} waits in review: the verifier could not finish \\(the verifier ended without calling Verdict; it said: ${said}\\)$`)),
      );
    }
    // Each check's line names the check.
    expect(out).toContainEqual(expect.stringMatching(/gate {6}T-1 check test pass$/));
    expect(out).toContainEqual(expect.stringMatching(/gate {6}T-1 check lint pass$/));

    const shown = show(gw, 'T-1');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/ {2}waiting {3}waits in review: the verifier could not finish \(the verifier ended without calling Verdict; it said: Looks fine\.\)/);
    // The checks that ran before the gate stopped, with exit code and output tail.
    expect(shown.stdout).toMatch(/test: passed, exit 0 in \d+ ms {2}\(node --test\)/);
    expect(shown.stdout).toMatch(/\| # fail 0/);
    expect(shown.stdout).toMatch(/lint: passed, exit 0 in \d+ ms {2}\(node scripts\/lint\.mjs\)/);

    const report = await runSession(gw.ws, { ci: true, phases: defaultPhases(), bus: gw.bus, only: 'report' });
    const result = report.results.report!.result as SessionReport;
    expect(result.waiting).toEqual({ questions: 0, approvals: 0, tickets: 2 });
    expect(report.results.report!.summary).toContain('waiting for you: 2 (2 stuck: T-1, T-2)');
    expect(lines(gw)).toContainEqual(expect.stringMatching(/note {6}waiting for you: T-2 \(review\) waits in review: the verifier could not finish/));
  });

  it('a failed check: ticket show gives each check\'s exit code and output tail, and "not run" for the verifier and the doctor; the report counts it', async () => {
    const gw = await workspace();
    ticketInReview(gw, { LINT_FAIL: 'x\n' }, { title: 'Break the lint' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome!.result).toBe('rejected');
    expect(lines(gw)).toContainEqual(expect.stringMatching(/gate {6}T-1 check lint fail \(exit 1\)$/));

    const shown = show(gw, 'T-1').stdout;
    expect(shown).toContain(
      "waiting   rejected by the merge gate: checks failed: lint; `master ticket move T-1 retry` tries again with the gate's feedback, `master ticket move T-1 cancel` closes it",
    );
    expect(shown).toMatch(/test: passed, exit 0 in \d+ ms/);
    expect(shown).toMatch(/lint: failed, exit 1 in \d+ ms {2}\(node scripts\/lint\.mjs\)\n {6}\| lint: LINT_FAIL present/);
    expect(shown).toContain('verifier: not run (a check failed)');
    expect(shown).toContain('doctor: not run (a check failed)');
    expect(shown).not.toMatch(/verifier: fail|doctor: - 0\/0/);

    const report = await runSession(gw.ws, { ci: true, phases: defaultPhases(), bus: gw.bus, only: 'report' });
    expect(report.results.report!.summary).toContain('waiting for you: 1 (1 stuck: T-1)');
  });
});

describe('a ticket the doctor holds says why, and only while it does', () => {
  it('a real workspace grading B: the headless output, `ticket show` and the report name the doctor; once it is A again the ticket merges and the reason is gone', async () => {
    const gw = await workspace();
    ticketInReview(gw, { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' }, { title: 'Add mul' });
    const main = git(gw.repo, 'rev-parse', 'main');
    await gw.ws.store.close();
    opened.splice(opened.indexOf(gw), 1);
    // A damage the doctor grades (the built-in guard's rules are gone): the system is not healthy enough to move main.
    const rules = path.join(gw.home, 'hooks', 'deny-rules.json');
    const kept = readFileSync(rules, 'utf8');
    rmSync(rules);

    const held = master(['start', '--ci'], { env: { MASTER_HOME: gw.home } });
    expect(held.stdout).toMatch(/note {6}T-1 waits in review: the doctor grades B \d+\/\d+ \([^)]*deny-rules is missing\); `master doctor` shows what to fix$/m);
    expect(held.stdout).toMatch(/note {6}waiting for you: T-1 \(review\) waits in review: the doctor grades B /);
    // (The doctor also files a housekeeping ticket for the damage: that one waits for approval.)
    expect(held.stdout).toContain('1 stuck: T-1)');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
    // Saved on the ticket: a later `ticket show` (another process, no session running) still says why.
    const shown = master(['ticket', 'show', 'T-1', '--home', gw.home]);
    expect(shown.stdout).toMatch(/ {2}waiting {3}waits in review: the doctor grades B \d+\/\d+ \([^)]*deny-rules is missing\)/);
    expect(shown.stdout).toMatch(/test: passed, exit 0 in \d+ ms/);

    writeFileSync(rules, kept);
    const merged = master(['start', '--ci'], { env: { MASTER_HOME: gw.home } });
    expect(merged.stdout, merged.stderr).toContain('merge gate: 1 merged');
    expect(git(gw.repo, 'rev-parse', 'main')).not.toBe(main);
    const after = master(['ticket', 'show', 'T-1', '--home', gw.home]).stdout;
    expect(after).toMatch(/ {2}state {5}merged/);
    expect(after).not.toMatch(/waiting|doctor grades B/);
  });

  it('a wait found before anything ran (main checked out with uncommitted changes) is kept on the ticket; once clean the ticket merges and the reason is gone', async () => {
    const gw = await workspace();
    ticketInReview(gw, { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' }, { title: 'Add mul' });
    const main = git(gw.repo, 'rev-parse', 'main');
    await gw.ws.store.close();
    opened.splice(opened.indexOf(gw), 1);
    const scratch = path.join(gw.repo, 'scratch.txt');
    writeFileSync(scratch, 'the operator is editing\n');

    const held = master(['start', '--ci'], { env: { MASTER_HOME: gw.home } });
    expect(held.stdout).toMatch(/has main checked out with uncommitted changes \(scratch\.txt\); commit or stash them/);
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
    const shown = master(['ticket', 'show', 'T-1', '--home', gw.home]).stdout;
    expect(shown).toMatch(/ {2}waiting {3}waits in review: \S+ has main checked out with uncommitted changes \(scratch\.txt\)/);

    rmSync(scratch);
    const merged = master(['start', '--ci'], { env: { MASTER_HOME: gw.home } });
    expect(merged.stdout, merged.stderr).toContain('merge gate: 1 merged');
    const after = master(['ticket', 'show', 'T-1', '--home', gw.home]).stdout;
    expect(after).toMatch(/ {2}state {5}merged/);
    expect(after).not.toMatch(/waiting|uncommitted/);
  });
});

describe('headless lines are whole', () => {
  const at = '2026-01-01T10:00:00.000Z';
  it('never cut an instruction, and name an event by what it is, not by its dotted type', () => {
    const long = `Answer with a shell command that makes it ${'and keep going '.repeat(20)}or "skip".`;
    const asked = formatEventLine({ type: 'question.asked', at, seq: 1, question: { id: 'Q-1', ticket: 'T-3', text: long } });
    expect(asked).toBe(`10:00:00  question  Q-1 for T-3: ${long} (\`master answer Q-1 TEXT\` answers it)`);
    const reason = `the run changed nothing: ${'word '.repeat(60)}end`;
    expect(formatEventLine({ type: 'run.end', at, seq: 2, ticket: 'T-3', brand: 'a', run: 'R-1', outcome: 'failed', reason })).toBe(`10:00:00  run       T-3 failed: ${reason}`);
    const command = `node -e "${'x'.repeat(150)}"`;
    expect(formatEventLine({ type: 'tool.call', at, seq: 3, ticket: 'T-3', agent: 'executor', id: 't', tool: 'Bash', input: { command: `${command}\nsecond\nthird` } })).toBe(
      `10:00:00  tool      T-3 Bash ${command} (+2 more lines)`,
    );
    expect(formatEventLine({ type: 'note', at, seq: 4, message: 'archived 3 closed tickets' })).toBe('10:00:00  note      archived 3 closed tickets');
    expect(formatEventLine({ type: 'wiki.finding', at, seq: 5, finding: 'F-1', confidence: 'high', change: 'create', target: 'a/b' })).toBe(
      '10:00:00  wiki      finding F-1 (high confidence): create a/b',
    );
    const unknown = formatEventLine({ type: 'lane.paused', at, seq: 6, reason: 'budget' })!;
    expect(unknown).toBe('10:00:00  lane      paused: budget');
    for (const line of [asked, unknown]) expect(line).not.toMatch(/\b[a-z]+\.[a-z]+\b(?!\S*\))/);
  });
});

describe('closed tickets leave nothing behind', () => {
  it('a rejected-then-cancelled ticket: worktree and branch removed, its uncommitted work kept as a patch the message names; the doctor agrees', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, { LINT_FAIL: 'x\n' }, { title: 'Break the lint' });
    expect((await runMergeGate(gw.ws, { doctor: gradeA }))[0]!.result).toBe('rejected');
    const worktree = ticket.runs[0]!.worktree;
    writeFileSync(path.join(worktree, 'notes.md'), 'half-done work\n');
    await gw.ws.store.close();
    opened.splice(opened.indexOf(gw), 1);

    const cancelled = master(['ticket', 'move', 'T-1', 'cancel', '--home', gw.home]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain('T-1: rejected → cancelled; removed alpha-app/T-1, alpha-app:master/T-1');
    expect(cancelled.stdout).toContain("T-1's unmerged work is kept in .master/kept/alpha-app/T-1.patch (`git apply` it in alpha-app)");
    expect(existsSync(worktree)).toBe(false);
    expect(git(gw.repo, 'branch', '--list', 'master/T-1')).toBe('');
    const patch = path.join(gw.home, '.master/kept/alpha-app/T-1.patch');
    expect(readFileSync(patch, 'utf8')).toContain('+half-done work');
    // The kept work applies to main: nothing of it is lost.
    git(gw.repo, 'apply', '--check', patch);

    const report = await runDoctor({ paths: gw.ws.paths });
    expect(report.checks.find((c) => c.id === 'branches.orphan')!.status).toBe('pass');
    expect(report.checks.find((c) => c.id === 'worktrees.stale')!.status).toBe('pass');
  });

  it('a cancelled ticket whose branch is left (a run stopped mid-way): the doctor names it, the sweep keeps its commits as a patch and removes it', async () => {
    const gw = await workspace();
    const ticket = ticketInReview(gw, { 'src/mul.js': 'export const mul = (a, b) => a * b;\n' });
    const worktree = ticket.runs[0]!.worktree;
    git(gw.repo, 'worktree', 'remove', '--force', worktree);
    gw.ws.tickets.transition(ticket.id, 'cancel', { by: 'operator' });

    const before = await runDoctor({ paths: gw.ws.paths });
    const orphan = before.checks.find((c) => c.id === 'branches.orphan')!;
    expect(orphan.status).toBe('warn');
    expect(orphan.message).toContain('master/T-1 (ticket cancelled)');

    const swept = await sweepClosedTicketWork(gw.ws);
    expect(swept.removed).toEqual(['alpha-app:master/T-1']);
    expect(swept.kept).toEqual([{ ticket: 'T-1', repo: 'alpha-app', file: path.join(gw.home, '.master/kept/alpha-app/T-1.patch') }]);
    expect(readFileSync(swept.kept[0]!.file, 'utf8')).toContain('+export const mul');
    expect(git(gw.repo, 'branch', '--list', 'master/T-1')).toBe('');
    const after = await runDoctor({ paths: gw.ws.paths });
    expect(after.checks.find((c) => c.id === 'branches.orphan')!.status).toBe('pass');
  });
});
