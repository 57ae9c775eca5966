import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { activeRuns, runTicket } from '../src/agents/executor.js';
import { openModel } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { resolveContracts } from '../src/agents/contracts.js';
import { toolChainFor } from '../src/agents/confinement.js';
import type { ToolChain } from '../src/guards/types.js';
import { answerQuestion } from '../src/questions/index.js';
import { FAST_RETRY, makeAgentWorkspace } from './helpers/agents.js';
import { git } from './helpers/workspace.js';

/** An operator's hook that wants a person to approve every command mentioning DANGER. */
function installAskHook(home: string): void {
  const hook = path.join(home, 'hooks', 'ask-x.sh');
  writeFileSync(
    hook,
    `#!/usr/bin/env bash\nif grep -q DANGER; then echo '{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask","permissionDecisionReason":"danger needs a person"}}'; fi\nexit 0\n`,
  );
  chmodSync(hook, 0o755);
  writeFileSync(path.join(home, 'hooks', 'ask-x.json'), JSON.stringify({ event: 'PreToolUse', matcher: 'Bash', command: hook, timeout: 10 }));
}

const SCRIPT = ['echo DANGER > danger.txt', 'echo safe > safe.txt'];

describe("a guard's ask in a script ticket", () => {
  it('blocks the ticket with a question and runs nothing after it; yes re-runs the script with that command approved', async () => {
    const { home, ws, bus, events } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' } });
    installAskHook(home);
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Danger', kind: 'script', run: SCRIPT, state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1' });

    const blocked = ws.tickets.get(ticket.id);
    expect(blocked.state).toBe('blocked');
    expect(blocked.runs.map((r) => r.outcome)).toEqual(['blocked']);
    const questions = Object.values(ws.store.state.questions).filter((q) => q.ticket === ticket.id);
    expect(questions).toHaveLength(1);
    expect(questions[0]).toMatchObject({ kind: 'guard', approves: expect.stringMatching(/^Bash:/) });
    expect(questions[0]!.text).toMatch(/wants to run Bash .*DANGER.*danger needs a person/);
    // Neither the asked command nor the ones after it ran.
    const ran = events.filter((e) => e.type === 'tool.result' && e.ticket === ticket.id);
    expect(ran.map((e) => e.content)).toEqual([expect.stringMatching(/waiting for the operator/)]);

    answerQuestion(ws, questions[0]!.id, 'yes');
    expect(ws.tickets.get(ticket.id).state).toBe('ready');
    await dispatch({ ws, bus, sessionId: 'S-2' });
    const done = ws.tickets.get(ticket.id);
    expect(done.state).toBe('review');
    expect(done.runs.map((r) => r.outcome)).toEqual(['blocked', 'submitted']);
    const repo = path.join(home, 'repos/alpha-app');
    expect(git(repo, 'show', `master/${ticket.id}:danger.txt`)).toBe('DANGER');
    expect(git(repo, 'show', `master/${ticket.id}:safe.txt`)).toBe('safe');
    expect(Object.values(ws.store.state.questions).filter((q) => q.ticket === ticket.id)).toHaveLength(1);
  });

  it('no fails the ticket on the next run, saying the operator refused that command, without asking again', async () => {
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' } });
    installAskHook(home);
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Danger', kind: 'script', run: SCRIPT, state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1' });
    const question = Object.values(ws.store.state.questions).find((q) => q.ticket === ticket.id)!;
    answerQuestion(ws, question.id, 'no, not on this repo');
    expect(ws.tickets.get(ticket.id).state).toBe('ready');
    await dispatch({ ws, bus, sessionId: 'S-2' });

    const failed = ws.tickets.get(ticket.id);
    expect(failed.state).toBe('failed');
    expect(failed.runs.at(-1)!.reason).toMatch(/echo DANGER > danger.txt[\s\S]*the operator refused this call \(Q-\d+: no, not on this repo\)/);
    expect(Object.values(ws.store.state.questions).filter((q) => q.ticket === ticket.id)).toHaveLength(1);
  });
});

describe('an answer survives an interrupted follow-up run', () => {
  const script: ModelScript = {
    tickets: {
      'Name it': [
        {
          tools: [
            { name: 'Write', input: { file_path: 'draft.txt', content: 'draft\n' } },
            { name: 'AskOperator', input: { question: 'Which name?', choices: ['zed', 'something longer'] } },
          ],
        },
        {
          error: { kind: 401, times: 1 },
          tools: [
            { name: 'Write', input: { file_path: 'name.txt', content: 'zed\n' } },
            { name: 'Finish', input: { summary: 'named it' } },
          ],
        },
      ],
    },
  };

  it('a resumed run requeued by a 401 is followed by one that continues with the answer and the earlier edit', async () => {
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script, files: { 'README.md': '# app\n' } });
    const model = await openModel(ws.registry, home, { script, recordRequests: true });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Name it', state: 'ready' });
    try {
      await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
      expect(ws.tickets.get(ticket.id).state).toBe('blocked');
      const question = Object.values(ws.store.state.questions).find((q) => q.ticket === ticket.id)!;
      // The agent's choices reach the stored question, which the cockpit numbers.
      expect(question.choices).toEqual(['zed', 'something longer']);
      answerQuestion(ws, question.id, 'call it zed');
      await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });
      expect(ws.tickets.get(ticket.id).runs.map((r) => r.outcome)).toEqual(['blocked', 'requeued']);
      await dispatch({ ws, bus, sessionId: 'S-3', model, retry: FAST_RETRY });
    } finally {
      await model.close();
    }
    const after = ws.tickets.get(ticket.id);
    expect(after.state).toBe('review');
    expect(after.runs.map((r) => r.outcome)).toEqual(['blocked', 'requeued', 'submitted']);
    expect(Object.values(ws.store.state.questions).filter((q) => q.ticket === ticket.id)).toHaveLength(1);
    const last = model.server!.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
    expect(JSON.stringify(last.at(-1)!.content)).toContain('The operator answered: call it zed');
    const repo = path.join(home, 'repos/alpha-app');
    expect(git(repo, 'show', `master/${ticket.id}:draft.txt`)).toBe('draft');
    expect(git(repo, 'show', `master/${ticket.id}:name.txt`)).toBe('zed');
  });

  it('a run that must start afresh gets the answered questions in its prompt', async () => {
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script, files: { 'README.md': '# app\n' } });
    const model = await openModel(ws.registry, home, { script, recordRequests: true });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Name it', state: 'ready' });
    let question;
    try {
      await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
      question = Object.values(ws.store.state.questions).find((q) => q.ticket === ticket.id)!;
      answerQuestion(ws, question.id, 'call it zed');
      // The worktree is gone (removed by hand): nothing to resume in, so the run starts from main.
      git(path.join(home, 'repos/alpha-app'), 'worktree', 'remove', '--force', ws.tickets.get(ticket.id).runs[0]!.worktree);
      await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });
    } finally {
      await model.close();
    }
    const fresh = model.server!.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>;
    expect(fresh).toHaveLength(1);
    const prompt = String(fresh[0]!.content);
    expect(prompt).toContain(`${question.id} asked: Which name?`);
    expect(prompt).toContain('The operator answered: call it zed');
  });
});

describe('a run that cannot complete', () => {
  it('fails its ticket when the transcript cannot be opened, instead of leaving it running', async () => {
    const { ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' } });
    rmSync(ws.paths.transcripts, { recursive: true, force: true });
    writeFileSync(ws.paths.transcripts, 'not a folder\n');
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Touch', kind: 'script', run: ['echo hi > hi.txt'], state: 'ready' });
    const outcome = await runTicket({ ws, bus, sessionId: 'S-1', contracts: resolveContracts(ws.registry), chain: toolChainFor(ws), model: null, signal: new AbortController().signal }, ticket.id);
    expect(outcome.outcome).toBe('failed');
    expect(outcome.reason).toMatch(/could not complete/);
    const after = ws.tickets.get(ticket.id);
    expect(after.state).toBe('failed');
    expect(after.runs[0]!.endedAt).toBeDefined();
    expect(activeRuns.size).toBe(0);
  });

  it("keeps the run's usage on its record when it fails after the model ran", async () => {
    const script: ModelScript = {
      tickets: {
        Spend: [
          {
            usage: { input: 1234, output: 56 },
            tools: [
              { name: 'Write', input: { file_path: 'a.txt', content: 'a\n' } },
              { name: 'Finish', input: { summary: 'done' } },
            ],
          },
        ],
      },
    };
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script, files: { 'README.md': '# app\n' } });
    const base = toolChainFor(ws);
    // Committing the work fails (git's index is locked): the run's error path settles it.
    const chain: ToolChain = {
      before: base.before,
      after: [
        ...base.after,
        {
          name: 'lock-the-index',
          after(call, context) {
            if (call.name !== 'Finish') return;
            const gitDir = git(context.root, 'rev-parse', '--absolute-git-dir');
            writeFileSync(path.join(gitDir, 'index.lock'), '');
          },
        },
      ],
    };
    const model = await openModel(ws.registry, home, { script });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Spend', state: 'ready' });
    try {
      await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY, chain });
    } finally {
      await model.close();
    }
    const after = ws.tickets.get(ticket.id);
    expect(after.state).toBe('failed');
    expect(after.runs[0]!.reason).toMatch(/could not complete/);
    expect(after.runs[0]!.usage).toMatchObject({ input: 1234, output: 56 });
    expect(after.runs[0]!.baseSha).toMatch(/^[0-9a-f]{40}$/);
  });
});
