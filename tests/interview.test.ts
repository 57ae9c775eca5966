import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Bus } from '../src/bus/index.js';
import { terminalInterviewer } from '../src/loop/interviewer.js';
import { interviewPhase } from '../src/loop/phases/interview.js';
import type { PhaseContext } from '../src/loop/phase.js';
import { answerQuestion, askOperator } from '../src/questions/index.js';
import { openWorkspace, type Workspace } from '../src/workspace/open.js';
import { zeroUsage, type TicketRun } from '../src/state/types.js';
import { master } from './helpers/cli.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';

/** A ticket whose agent run ended on a question, as the executor leaves it. */
function blockedByAgent(ws: Workspace, id: string): void {
  ws.tickets.transition(id, 'dispatch', { by: 'dispatcher' });
  const run: TicketRun = {
    id: 'R-1',
    startedAt: ws.store.now(),
    worktree: '/nowhere',
    branch: `master/${id}`,
    owner: { pid: process.pid, host: 'here' },
    outcome: 'blocked',
    usage: zeroUsage(),
    transcript: 'x.ndjson',
  };
  ws.tickets.transition(id, 'block', { by: 'executor', patch: { runs: [run] } });
}

describe('interview and questions', () => {
  it('asks inline, one at a time: answers unblock tickets, approvals move to ready, empty skips', async () => {
    const home = makeSimpleWorkspace();
    const ws = await openWorkspace(home);
    const blocked = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Agent asked something', state: 'ready' });
    blockedByAgent(ws, blocked.id);
    askOperator(ws, { kind: 'agent', ticket: blocked.id, text: 'Which colour for the button?', askedBy: 'executor' });
    const approve = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Approve me' });
    const skip = ws.tickets.create({ brand: 'beta', repo: 'beta-app', title: 'Decide later' });

    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d) => (shown += d));
    input.end('blue\ny\n\n');
    const context = { ws, bus: new Bus(), ci: false, clock: () => new Date() } as unknown as PhaseContext;
    const phase = interviewPhase(terminalInterviewer(input, output));
    expect(await phase.shouldRun(context)).toMatchObject({ run: true });
    const result = await phase.run(context);
    expect(result.summary).toBe('interview: 1 approved, 1 answered, 1 left for later');
    expect(shown).toContain('[1/3] Which colour for the button?');
    expect(ws.store.state.tickets[blocked.id]!.state).toBe('ready');
    expect(ws.store.state.tickets[approve.id]!.state).toBe('ready');
    expect(ws.store.state.tickets[skip.id]!.state).toBe('triage');
    expect(Object.values(ws.store.state.questions)[0]!.answer).toBe('blue');
    await ws.store.close();
  });

  it('an answer does not lift a block the operator set', async () => {
    const home = makeSimpleWorkspace();
    const ws = await openWorkspace(home);
    const t = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'held', state: 'ready' });
    ws.tickets.transition(t.id, 'block', { by: 'operator', note: 'hold until Monday' });
    const q = askOperator(ws, { kind: 'agent', ticket: t.id, text: 'Anything?', askedBy: 'executor' });
    answerQuestion(ws, q.id, 'no');
    expect(ws.store.state.tickets[t.id]!.state).toBe('blocked');
    await ws.store.close();
  });

  it('lists and answers questions from the CLI; bad ids are clear errors', async () => {
    const home = makeSimpleWorkspace();
    const ws = await openWorkspace(home);
    const t = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'x', state: 'ready' });
    blockedByAgent(ws, t.id);
    const q = askOperator(ws, { kind: 'agent', ticket: t.id, text: 'Ship on Friday?', askedBy: 'executor' });
    await ws.store.close();
    expect(master(['questions', '--home', home]).stdout).toContain(`${q.id}  ${t.id}  Ship on Friday?`);
    const answered = master(['answer', q.id, 'no,', 'Monday', '--home', home]);
    expect(answered.code, answered.stderr).toBe(0);
    expect(answered.stdout).toContain(`${t.id} is ready`);
    const again = master(['answer', q.id, 'yes', '--home', home]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already answered/);
    expect(master(['answer', 'Q-9', 'x', '--home', home]).stderr).toMatch(/no question Q-9/);
    const reopened = await openWorkspace(home);
    expect(() => answerQuestion(reopened, q.id, '  ')).toThrow(/cannot be empty/);
  });
});
