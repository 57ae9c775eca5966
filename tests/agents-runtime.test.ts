import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { openModel } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { EventLog } from '../src/state/eventLog.js';
import { FAST_RETRY, makeAgentWorkspace } from './helpers/agents.js';
import { git } from './helpers/workspace.js';

// No git identity anywhere but the registry's, as on a fresh machine.
beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
});
afterAll(() => {
  delete process.env.GIT_CONFIG_GLOBAL;
});

const FIX_ADD: ModelScript = {
  tickets: {
    'Fix add': [
      { text: 'Let me read the code.', tools: [{ name: 'Read', input: { file_path: 'src/add.js' } }] },
      { tools: [{ name: 'Edit', input: { file_path: 'src/add.js', old_string: 'a - b', new_string: 'a + b' } }] },
      { tools: [{ name: 'Bash', input: { command: 'node --test' } }] },
      { tools: [{ name: 'Finish', input: { summary: 'add() subtracted; it adds now and the test passes.' } }] },
    ],
  },
};

function toolResults(body: Record<string, unknown>): Array<{ content: string; is_error?: boolean }> {
  const messages = body.messages as Array<{ role: string; content: unknown }>;
  const last = messages[messages.length - 1]!;
  return Array.isArray(last.content) ? (last.content as Array<{ type: string; content: string; is_error?: boolean }>).filter((b) => b.type === 'tool_result') : [];
}

describe('agent runtime against the scripted model over HTTP', () => {
  it('reads, edits, tests and finishes: the fix is committed on the ticket branch and the ticket is in review', async () => {
    const { home, ws, bus, events } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script: FIX_ADD });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Fix add', body: 'add() is wrong', acceptance: ['node --test passes'], state: 'ready' });
    const report = await dispatch({ ws, bus, sessionId: 'S-1', retry: FAST_RETRY });

    expect(report.runs.map((r) => [r.ticket, r.outcome])).toEqual([[ticket.id, 'submitted']]);
    const after = ws.tickets.get(ticket.id);
    expect(after.state).toBe('review');
    const repo = path.join(home, 'repos/alpha-app');
    const branch = `master/${ticket.id}`;
    expect(git(repo, 'log', '-1', '--format=%s|%an|%ae', branch)).toBe(`${ticket.id}: Fix add|Master OS|master@localhost`);
    expect(git(repo, 'show', `${branch}:src/add.js`)).toContain('return a + b;');
    expect(git(repo, 'show', 'main:src/add.js')).toContain('return a - b;');
    expect(git(repo, 'rev-parse', `${branch}~1`)).toBe(git(repo, 'rev-parse', 'main'));
    const run = after.runs[0]!;
    expect(run.headSha).toBe(git(repo, 'rev-parse', branch));
    expect(run.worktree).toBe(path.join(home, '.master/worktrees/alpha-app', ticket.id));
    expect(run.usage.input).toBeGreaterThan(0);
    expect(run.usage.costUsd).toBe(0);

    // The transcript holds the conversation; usage is kept per brand per day.
    const transcript = readFileSync(path.join(home, run.transcript), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(transcript.filter((l) => l.t === 'message').length).toBe(9);
    expect(transcript.at(-1)).toMatchObject({ t: 'end', status: 'finished' });
    expect(Object.keys(ws.store.state.usage.byBrandDay)).toEqual([expect.stringMatching(/^alpha\/\d{4}-\d{2}-\d{2}$/)]);

    // Streamed as events: text, every call and its result, the test run included.
    expect(events.some((e) => e.type === 'agent.text' && String(e.text).includes('read the code'))).toBe(true);
    expect(events.filter((e) => e.type === 'tool.call').map((e) => e.tool)).toEqual(['Read', 'Edit', 'Bash', 'Finish']);
    const bash = events.find((e) => e.type === 'tool.result' && e.tool === 'Bash')!;
    expect(bash.isError).toBe(false);
    expect(String(bash.content)).toMatch(/pass 1/);
    expect(events.find((e) => e.type === 'dispatch.model')?.via).toBe('scripted demo model');
  });

  it('a call outside the palette, outside the worktree or a failing command comes back as an error result and the run goes on', async () => {
    const script: ModelScript = {
      tickets: {
        'Try things': [
          {
            tools: [
              { name: 'Verdict', input: { verdict: 'pass', reasons: [] } },
              { name: 'Read', input: { file_path: '../../../../outside.txt' } },
              { name: 'Write', input: { file_path: '/tmp/escape-attempt.txt', content: 'x' } },
              { name: 'Bash', input: { command: 'echo broken >&2; exit 3' } },
            ],
          },
          { tools: [{ name: 'Write', input: { file_path: 'NOTES.md', content: 'adapted\n' } }] },
          { tools: [{ name: 'Finish', input: { summary: 'wrote notes' } }] },
        ],
      },
    };
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script });
    const model = await openModel(ws.registry, home, { script, recordRequests: true });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Try things', state: 'ready' });
    try {
      await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
    } finally {
      await model.close();
    }
    const second = model.server!.requests.find((r) => r.turn === 1)!;
    const results = toolResults(second.body);
    expect(results).toHaveLength(4);
    expect(results.every((r) => r.is_error === true)).toBe(true);
    expect(results[0]!.content).toMatch(/Verdict was refused by palette: .*not in the executor contract's palette/);
    expect(results[1]!.content).toMatch(/refused by worktree-confinement: .*outside the worktree/);
    expect(results[2]!.content).toMatch(/outside the worktree/);
    expect(results[3]!.content).toMatch(/broken[\s\S]*exited 3/);
    expect(existsSync('/tmp/escape-attempt.txt')).toBe(false);
    expect(ws.tickets.get(ticket.id).state).toBe('review');
    expect(git(path.join(home, 'repos/alpha-app'), 'show', `master/${ticket.id}:NOTES.md`)).toBe('adapted');
    // Every decision is in the audit trail, refusals among them.
    const logged = new EventLog(ws.paths.events).readFrom({ file: '', offset: 0 }).events.filter((e) => e.type === 'guard.decision');
    const refusals = logged.filter((e) => (e as { verdict?: string }).verdict === 'deny');
    expect(refusals.map((e) => (e as { guard?: string }).guard)).toEqual(['palette', 'worktree-confinement', 'worktree-confinement']);
    expect(logged.some((e) => (e as { verdict?: string }).verdict === 'allow')).toBe(true);
  });

  it('a run that changes nothing fails with that reason and keeps its worktree', async () => {
    const script: ModelScript = { tickets: { 'Do nothing': [{ tools: [{ name: 'Finish', input: { summary: 'nothing to do' } }] }] } };
    const { ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Do nothing', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', retry: FAST_RETRY });
    const after = ws.tickets.get(ticket.id);
    expect(after.state).toBe('failed');
    expect(after.runs[0]!.reason).toMatch(/changed nothing/);
    expect(existsSync(after.runs[0]!.worktree)).toBe(true);
  });

  it('turn limits end the run as failed with the limit named', async () => {
    const loop = Array.from({ length: 5 }, () => ({ tools: [{ name: 'Glob', input: { pattern: '**/*.js' } }] }));
    const { ws, bus } = await makeAgentWorkspace({
      brands: [{ id: 'alpha' }],
      script: { tickets: { 'Loop forever': loop } },
      registry: { contracts: { executor: { maxTurns: 3 } } },
    });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Loop forever', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', retry: FAST_RETRY });
    expect(ws.tickets.get(ticket.id).state).toBe('failed');
    expect(ws.tickets.get(ticket.id).runs[0]!.reason).toMatch(/turn limit \(3 turns\)/);
  });
});

describe('scripted server speaks the Messages API', () => {
  it('answers non-streaming requests too', async () => {
    const { home, ws } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script: FIX_ADD });
    const model = await openModel(ws.registry, home, { script: FIX_ADD });
    try {
      const message = await model.client.messages.create({ model: 'scripted-demo', max_tokens: 100, messages: [{ role: 'user', content: 'Ticket T-9: Fix add' }] });
      expect(message.stop_reason).toBe('tool_use');
      expect(message.content[1]).toMatchObject({ type: 'tool_use', name: 'Read', input: { file_path: 'src/add.js' } });
    } finally {
      await model.close();
    }
  });
});
