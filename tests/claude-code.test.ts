import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claudeSessionFile } from '../src/agents/claudeCode/run.js';
import { dispatch } from '../src/agents/dispatcher.js';
import { openModel, type ModelEndpoint } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { answerQuestion } from '../src/questions/index.js';
import { sandboxStatus } from '../src/sandbox/index.js';
import { Bus, type BusEvent } from '../src/bus/index.js';
import { openWorkspace, type Workspace } from '../src/workspace/open.js';
import { FAST_RETRY } from './helpers/agents.js';
import { ROOT } from './helpers/cli.js';
import { git, makeRepo, makeWorkspace } from './helpers/workspace.js';

/**
 * The Claude Code executor with the REAL Claude Code CLI (the devDependency
 * @anthropic-ai/claude-code) driven by the Agent SDK against the scripted
 * model server on loopback: no fake `claude`, no outside calls.
 */
const CLAUDE = path.join(ROOT, 'node_modules/@anthropic-ai/claude-code/bin/claude.exe');
const ready = existsSync(CLAUDE) && sandboxStatus().available;

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

const SECRET = 'CANARY-7f3a9-do-not-leak';

async function claudeWorkspace(script: (home: string, worktree: string, outside: string) => ModelScript): Promise<{
  home: string;
  ws: Workspace;
  bus: Bus;
  events: BusEvent[];
  model: ModelEndpoint;
  outside: string;
  worktree: string;
}> {
  const home = makeWorkspace({
    brands: [
      { id: 'alpha', name: 'Alpha', executor: 'claude-code', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
      { id: 'vault', name: 'Vault', silo: true, repos: [{ id: 'vault-app', path: 'repos/vault-app' }] },
    ],
    models: { provider: 'scripted', default: 'scripted-demo', script: 'model-script.json' },
    claudeCode: { path: CLAUDE },
  });
  makeRepo(path.join(home, 'repos/alpha-app'), { 'README.md': '# alpha\n' });
  makeRepo(path.join(home, 'repos/vault-app'), { 'secret.txt': `${SECRET}\n` });
  const outside = mkdtempSync(path.join(tmpdir(), 'master-outside-'));
  const worktree = path.join(home, '.master/worktrees/alpha-app/T-1');
  const scripted = script(home, worktree, outside);
  writeFileSync(path.join(home, 'model-script.json'), JSON.stringify(scripted));
  const bus = new Bus();
  const events: BusEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const ws = await openWorkspace(home, { bus });
  const model = await openModel(ws.registry, home, { script: scripted, recordRequests: true });
  cleanup.push(
    () => ws.store.close(),
    () => model.close(),
  );
  return { home, ws, bus, events, model, outside, worktree };
}

describe.skipIf(!ready)('the Claude Code executor (real claude, scripted model over HTTP)', () => {
  it('runs the ticket through Claude Code with every call through the guard chain; the silo canary never reaches the model and nothing lands outside the worktree', async () => {
    const { home, ws, bus, events, model, outside, worktree } = await claudeWorkspace((home, worktree, outside) => ({
      tickets: {
        'T-1': [
          { text: 'Looking around.', tools: [{ name: 'Read', input: { file_path: path.join(worktree, 'README.md') } }] },
          { tools: [{ name: 'Read', input: { file_path: path.join(home, 'repos/vault-app/secret.txt') } }] },
          { tools: [{ name: 'Bash', input: { command: `cat ${path.join(home, 'repos/vault-app/secret.txt')}`, description: 'read it' } }] },
          {
            tools: [
              {
                name: 'Bash',
                input: {
                  command: `node -e "process.stdout.write(require('fs').readFileSync([process.argv[1], 're'+'pos', 'vault'+'-app', 'secret.txt'].join('/'), 'utf8'))" ${home}`,
                  description: 'computed path',
                },
              },
            ],
          },
          { tools: [{ name: 'Bash', input: { command: `echo pwned > ${path.join(outside, 'pwned.txt')}`, description: 'write outside' } }] },
          { tools: [{ name: 'Bash', input: { command: `node -e "require('fs').writeFileSync(process.argv[1] + '/sneaky.txt', 'x')" ${outside}`, description: 'computed write' } }] },
          { tools: [{ name: 'WebFetch', input: { url: 'http://127.0.0.1:9/', prompt: 'x' } }] },
          { tools: [{ name: 'Write', input: { file_path: path.join(worktree, 'hello.txt'), content: 'hello from claude code\n' } }] },
          { text: 'Added hello.txt.' },
        ],
      },
    }));
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Say hello', state: 'ready' });
    expect(ticket.id).toBe('T-1');
    await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });

    const done = ws.tickets.get(ticket.id);
    expect(done.runs[0]!.reason).toBeUndefined();
    expect(done.state).toBe('review');
    expect(git(path.join(home, 'repos/alpha-app'), 'show', `master/${ticket.id}:hello.txt`)).toBe('hello from claude code');
    // The outcome an attacker wants never happened.
    const sent = JSON.stringify(model.server!.requests.map((r) => r.body));
    expect(model.server!.requests.length).toBeGreaterThanOrEqual(9);
    expect(sent).not.toContain(SECRET);
    expect(existsSync(path.join(outside, 'pwned.txt'))).toBe(false);
    expect(existsSync(path.join(outside, 'sneaky.txt'))).toBe(false);
    // Every call went through the chain, on the bus like the built-in runtime's, refusals with their guard.
    const calls = events.filter((e) => e.type === 'tool.call' && e.ticket === ticket.id).map((e) => e.tool);
    // WebFetch is not in the executor's palette, so Claude Code was never given it: the call fails inside Claude Code.
    expect(calls).toEqual(['Read', 'Read', 'Bash', 'Bash', 'Bash', 'Bash', 'Write']);
    expect(sent).toContain('No such tool available: WebFetch');
    const refused = events.filter((e) => e.type === 'tool.result' && e.ticket === ticket.id && e.refusedBy).map((e) => e.refusedBy);
    // The silo read and the plain cat are refused by the guards; the computed paths get past them and hit the OS sandbox.
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(events.some((e) => e.type === 'agent.text' && e.text === 'Looking around.')).toBe(true);
    // Usage is recorded per run, flagged as Claude Code's.
    expect(done.runs[0]!.usage.input).toBeGreaterThan(0);
    expect(worktree).toBe(done.runs[0]!.worktree);
  }, 240_000);

  it('an AskOperator question blocks the ticket; the answer resumes the same Claude Code session', async () => {
    const { home, ws, bus, model } = await claudeWorkspace((_home, worktree) => ({
      tickets: {
        'T-1': [
          { tools: [{ name: 'mcp__master__AskOperator', input: { question: 'Which name should the file have?' } }] },
          { tools: [{ name: 'Write', input: { file_path: path.join(worktree, 'name.txt'), content: 'zed\n' } }] },
          { text: 'Named it.' },
        ],
      },
    }));
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Name it', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
    const blocked = ws.tickets.get(ticket.id);
    expect(blocked.state).toBe('blocked');
    const question = Object.values(ws.store.state.questions).find((q) => q.ticket === ticket.id)!;
    expect(question).toMatchObject({ kind: 'agent', text: 'Which name should the file have?' });
    expect(blocked.runs[0]!.session).toBeTruthy();
    // Claude Code had saved the session up to the question before its process was stopped (else the resume finds nothing).
    const saved = claudeSessionFile(path.join(ws.paths.data, 'tmp', ticket.id, 'home', '.claude'), blocked.runs[0]!.session!);
    expect(saved).not.toBeNull();
    const asked = readFileSync(path.join(home, blocked.runs[0]!.transcript), 'utf8')
      .split('\n')
      .find((l) => l.includes('"t":"question"'))!;
    const toolUseId = (JSON.parse(asked) as { toolUseId: string }).toolUseId;
    expect(toolUseId).toMatch(/^toolu_/);
    expect(readFileSync(saved!, 'utf8')).toContain(toolUseId);

    answerQuestion(ws, question.id, 'call it zed');
    await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });
    const done = ws.tickets.get(ticket.id);
    expect(done.runs.map((r) => r.reason ?? r.outcome)).toEqual(['blocked', 'submitted']);
    expect(done.state).toBe('review');
    expect(git(path.join(home, 'repos/alpha-app'), 'show', `master/${ticket.id}:name.txt`)).toBe('zed');
    // The resumed request carries the session's first prompt (only Claude Code's session has it) and the answer with its question.
    const resumed = model.server!.requests.map((r) => JSON.stringify(r.body)).find((body) => body.includes('call it zed'));
    expect(resumed).toContain('Ticket T-1: Name it');
    expect(resumed).toContain('You asked the operator: \\"Which name should the file have?\\"');
    expect(done.runs[1]!.transcript).toMatch(/R-2/);
  }, 240_000);

  it('a session Claude Code never saved (the process stopped first) is not a dead end: the next run starts afresh with the question and answer, and says so', async () => {
    const { home, ws, bus, events, model } = await claudeWorkspace((_home, worktree) => ({
      tickets: {
        'T-1': [
          { tools: [{ name: 'mcp__master__AskOperator', input: { question: 'Which name should the file have?' } }] },
          { tools: [{ name: 'Write', input: { file_path: path.join(worktree, 'name.txt'), content: 'zed\n' } }] },
          { text: 'Named it.' },
        ],
      },
    }));
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Name it', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
    const blocked = ws.tickets.get(ticket.id);
    expect(blocked.state).toBe('blocked');
    // The state the race leaves behind, made on purpose: the session's file is not there.
    const saved = claudeSessionFile(path.join(ws.paths.data, 'tmp', ticket.id, 'home', '.claude'), blocked.runs[0]!.session!);
    rmSync(saved!);
    // A fresh session starts at the script's first turn: the model that read the answer in its prompt writes the file.
    model.server!.setScript({
      tickets: {
        'T-1': [{ tools: [{ name: 'Write', input: { file_path: path.join(blocked.runs[0]!.worktree, 'name.txt'), content: 'zed\n' } }] }, { text: 'Named it.' }],
      },
    });
    const question = Object.values(ws.store.state.questions).find((q) => q.ticket === ticket.id)!;
    answerQuestion(ws, question.id, 'call it zed');
    const before = model.server!.requests.length;
    await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });

    const done = ws.tickets.get(ticket.id);
    expect(done.runs.map((r) => r.reason ?? r.outcome)).toEqual(['blocked', 'submitted']);
    expect(git(path.join(home, 'repos/alpha-app'), 'show', `master/${ticket.id}:name.txt`)).toBe('zed');
    // The fresh session's first request carries the ticket, the question and the answer.
    const fresh = JSON.stringify(model.server!.requests[before]!.body);
    expect(fresh).toContain('Ticket T-1: Name it');
    expect(fresh).toContain('Which name should the file have?');
    expect(fresh).toContain('call it zed');
    const transcript = readFileSync(path.join(home, done.runs[1]!.transcript), 'utf8');
    expect(transcript).toMatch(/"t":"note","text":"the Claude Code session [^ ]+ of R-1 could not be resumed \(.*No conversation found/i);
    expect(events.some((e) => e.type === 'note' && e.level === 'warn' && String(e.message).includes('could not be resumed'))).toBe(true);
  }, 240_000);
});

describe('a missing claude', () => {
  it('is a clear reason on the ticket and in the doctor, not a crash; the doctor names the version of a working one', async () => {
    const { claudeCodeChecks } = await import('../src/doctor/checks/claudeCode.js');
    const home = makeWorkspace({
      brands: [{ id: 'alpha', name: 'Alpha', executor: 'claude-code', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }],
      models: { provider: 'scripted', default: 'scripted-demo', script: 'model-script.json' },
      claudeCode: { path: '/nonexistent/bin/claude' },
    });
    makeRepo(path.join(home, 'repos/alpha-app'), { 'README.md': '# alpha\n' });
    writeFileSync(path.join(home, 'model-script.json'), JSON.stringify({ tickets: {} }));
    const bus = new Bus();
    const ws = await openWorkspace(home, { bus });
    cleanup.push(() => ws.store.close());
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Anything', state: 'ready' });
    const report = await dispatch({ ws, bus, sessionId: 'S-1', retry: FAST_RETRY });
    const after = ws.tickets.get(ticket.id);
    expect(after.state).toBe('ready');
    expect(after.runs).toEqual([]);
    expect(after.hold).toMatchObject({ kind: 'executor', reason: expect.stringContaining('claudeCode.path "/nonexistent/bin/claude" is not an executable file') });
    expect(report.waiting).toContain('/nonexistent/bin/claude');

    const ctx = { registry: ws.registry, env: process.env } as unknown as Parameters<typeof claudeCodeChecks>[0];
    expect(await claudeCodeChecks(ctx)).toMatchObject([{ id: 'agents.claude-code', status: 'fail' }]);
    if (existsSync(CLAUDE)) {
      ws.registry.claudeCode.path = CLAUDE;
      expect(await claudeCodeChecks(ctx)).toMatchObject([{ id: 'agents.claude-code', status: 'pass', message: expect.stringContaining('2.1.197') }]);
    }
  });
});
