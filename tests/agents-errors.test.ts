import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { openModel } from '../src/agents/model.js';
import { answerQuestion } from '../src/questions/index.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { FAST_RETRY, makeAgentWorkspace } from './helpers/agents.js';
import { git } from './helpers/workspace.js';

const finish = {
  tools: [
    { name: 'Write', input: { file_path: 'DONE.md', content: 'done\n' } },
    { name: 'Finish', input: { summary: 'done' } },
  ],
};

async function runWith(script: ModelScript, titles: string[]) {
  const setup = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script });
  const model = await openModel(setup.ws.registry, setup.home, { script, recordRequests: true });
  const tickets = titles.map((title) => setup.ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title, state: 'ready' }));
  try {
    const report = await dispatch({ ws: setup.ws, bus: setup.bus, sessionId: 'S-1', model, retry: FAST_RETRY });
    return { ...setup, model, tickets, report };
  } finally {
    await model.close();
  }
}

describe('model errors end runs as an operator expects', () => {
  it('a 401 says the key was rejected, puts the ticket back to ready and starts no other agent ticket', async () => {
    const script: ModelScript = { tickets: { First: [{ error: { kind: 401 } }], Second: [finish] } };
    const { ws, tickets, report, model, events } = await runWith(script, ['First', 'Second']);
    const [first, second] = tickets.map((t) => ws.tickets.get(t.id));
    expect(first!.state).toBe('ready');
    expect(first!.runs[0]!.reason).toMatch(/rejected the key \(401\)/);
    expect(second!.state).toBe('ready');
    expect(second!.runs).toHaveLength(0);
    expect(report.waiting).toMatch(/rejected the key \(401\)/);
    expect(events.filter((e) => e.type === 'dispatch.waiting')).toHaveLength(1);
    // Not retried: a rejected key does not get better.
    expect(model.server!.requests.filter((r) => r.ticket === 'First')).toHaveLength(1);
  });

  it('a 529 is retried with backoff, then fails the run with the reason', async () => {
    const script: ModelScript = { tickets: { Overloaded: [{ error: { kind: 529 } }] } };
    const { ws, tickets, model, events } = await runWith(script, ['Overloaded']);
    const ticket = ws.tickets.get(tickets[0]!.id);
    expect(ticket.state).toBe('failed');
    expect(ticket.runs[0]!.reason).toMatch(/stayed overloaded \(529\); gave up after 3 attempts/);
    expect(model.server!.requests).toHaveLength(3);
    expect(events.filter((e) => e.type === 'agent.retry').map((e) => e.attempt)).toEqual([1, 2]);
  });

  it('a dropped connection is retried, then fails the run with the reason', async () => {
    const script: ModelScript = { tickets: { Dropped: [{ error: { kind: 'drop' } }] } };
    const { ws, tickets, model } = await runWith(script, ['Dropped']);
    const ticket = ws.tickets.get(tickets[0]!.id);
    expect(ticket.state).toBe('failed');
    expect(ticket.runs[0]!.reason).toMatch(/connection to the scripted demo model failed .*gave up after 3 attempts/);
    expect(model.server!.requests).toHaveLength(3);
  });

  it('transient errors that clear (a stream cut mid-response, a 429) do not fail the run', async () => {
    const script: ModelScript = {
      tickets: { Flaky: [{ error: { kind: 'drop-mid-stream', times: 1 }, text: 'ok', tools: finish.tools }], Limited: [{ error: { kind: 429, times: 2 }, ...finish }] },
    };
    const { ws, tickets, events } = await runWith(script, ['Flaky', 'Limited']);
    expect(tickets.map((t) => ws.tickets.get(t.id).state)).toEqual(['review', 'review']);
    const retries = events.filter((e) => e.type === 'agent.retry');
    expect(retries.filter((e) => e.ticket === tickets[0]!.id).map((e) => String(e.reason))).toEqual([expect.stringMatching(/lost mid-response|connection/)]);
    expect(retries.filter((e) => e.ticket === tickets[1]!.id).map((e) => String(e.reason))).toEqual([expect.stringMatching(/429/), expect.stringMatching(/429/)]);
  });

  it('with no key and no base URL, agent tickets stay ready, the dispatch says why once, script tickets still run', async () => {
    const { ws, bus, events } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], registry: { models: { provider: 'anthropic', default: 'claude-sonnet-4-5' } } });
    const agent = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Needs a model', state: 'ready' });
    const agent2 = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Needs a model too', state: 'ready' });
    const script = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Touch', kind: 'script', run: ['echo hi > hi.txt'], state: 'ready' });
    const report = await dispatch({ ws, bus, sessionId: 'S-1', env: { ANTHROPIC_API_KEY: '', ANTHROPIC_BASE_URL: '' } });
    expect(ws.tickets.get(agent.id).state).toBe('ready');
    expect(ws.tickets.get(agent2.id).state).toBe('ready');
    expect(ws.tickets.get(script.id).state).toBe('review');
    expect(report.waiting).toMatch(/set ANTHROPIC_API_KEY/);
    expect(events.filter((e) => e.type === 'dispatch.waiting')).toHaveLength(1);
  });
});

describe('AskOperator', () => {
  it('blocks the ticket with a stored question; once answered it is ready and the next run continues with the answer', async () => {
    const script: ModelScript = {
      tickets: {
        'Pick a colour': [
          { text: 'I need a decision.', tools: [{ name: 'AskOperator', input: { question: 'Blue or green?' } }] },
          {
            tools: [
              { name: 'Write', input: { file_path: 'colour.txt', content: 'blue\n' } },
              { name: 'Finish', input: { summary: 'used blue' } },
            ],
          },
        ],
      },
    };
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script });
    const model = await openModel(ws.registry, home, { script, recordRequests: true });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Pick a colour', state: 'ready' });
    try {
      await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
      expect(ws.tickets.get(ticket.id).state).toBe('blocked');
      const question = Object.values(ws.store.state.questions)[0]!;
      expect(question).toMatchObject({ kind: 'agent', ticket: ticket.id, text: 'Blue or green?' });

      answerQuestion(ws, question.id, 'blue, please');
      expect(ws.tickets.get(ticket.id).state).toBe('ready');
      await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });
    } finally {
      await model.close();
    }
    const after = ws.tickets.get(ticket.id);
    expect(after.state).toBe('review');
    expect(after.runs.map((r) => r.outcome)).toEqual(['blocked', 'submitted']);
    const resumed = model.server!.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
    expect(resumed.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(resumed[2]!.content)).toContain('The operator answered: blue, please');
    expect(git(path.join(home, 'repos/alpha-app'), 'show', `master/${ticket.id}:colour.txt`)).toBe('blue');
  });
});

describe("a guard's ask", () => {
  it('becomes a question for the operator; yes lets exactly that call run on the next attempt, no refuses it', async () => {
    const bash = { name: 'Bash', input: { command: 'echo deployed > deploy.log' } };
    const script: ModelScript = {
      tickets: {
        'Deploy it': [{ tools: [bash] }, { tools: [bash] }, { tools: [{ name: 'Finish', input: { summary: 'deployed' } }] }],
        'Deploy again': [
          { tools: [bash] },
          // Told no, it tries once more anyway: refused at once, never asked again.
          { tools: [bash] },
          {
            tools: [
              { name: 'Write', input: { file_path: 'skipped.txt', content: 'no deploy\n' } },
              { name: 'Finish', input: { summary: 'left it' } },
            ],
          },
        ],
      },
    };
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script });
    // An operator's hook that wants a person to approve every deploy.
    const hook = path.join(home, 'hooks', 'ask-deploy.sh');
    writeFileSync(
      hook,
      `#!/usr/bin/env bash\nif grep -q deploy; then echo '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask","permissionDecisionReason":"deploys need a person"}}'; fi\nexit 0\n`,
    );
    chmodSync(hook, 0o755);
    writeFileSync(path.join(home, 'hooks', 'ask-deploy.json'), JSON.stringify({ event: 'PreToolUse', matcher: 'Bash', command: hook, timeout: 10 }));
    const model = await openModel(ws.registry, home, { script, recordRequests: true });
    const yes = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Deploy it', state: 'ready' });
    try {
      await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
      expect(ws.tickets.get(yes.id).state).toBe('blocked');
      const question = Object.values(ws.store.state.questions).find((q) => q.ticket === yes.id)!;
      expect(question.kind).toBe('guard');
      expect(question.text).toMatch(/wants to run Bash .*deploy.*deploys need a person/);
      answerQuestion(ws, question.id, 'yes');
      expect(ws.tickets.get(yes.id).state).toBe('ready');
      await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });
      expect(ws.tickets.get(yes.id).state).toBe('review');
      expect(git(path.join(home, 'repos/alpha-app'), 'show', `master/${yes.id}:deploy.log`)).toBe('deployed');
      const told = model.server!.requests.map((r) => JSON.stringify(r.body.messages)).find((m) => m.includes('The operator answered: yes'));
      expect(told).toContain('The call did not run yet: make it again with exactly the same input');

      const no = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Deploy again', state: 'ready' });
      await dispatch({ ws, bus, sessionId: 'S-3', model, retry: FAST_RETRY });
      const second = Object.values(ws.store.state.questions).find((q) => q.ticket === no.id)!;
      answerQuestion(ws, second.id, 'no, not today');
      await dispatch({ ws, bus, sessionId: 'S-4', model, retry: FAST_RETRY });
      expect(ws.tickets.get(no.id).state).toBe('review');
      expect(() => git(path.join(home, 'repos/alpha-app'), 'show', `master/${no.id}:deploy.log`)).toThrow();
      expect(Object.values(ws.store.state.questions).filter((q) => q.ticket === no.id)).toHaveLength(1);
      const last = JSON.stringify(model.server!.requests.at(-1)!.body.messages);
      expect(last).toContain('the operator refused this call');
    } finally {
      await model.close();
    }
  });
});
