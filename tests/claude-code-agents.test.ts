import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openModel, type ModelEndpoint } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { runMergeGate } from '../src/gate/index.js';
import { sandboxStatus } from '../src/sandbox/index.js';
import { proposedPageText } from '../src/wiki/distill/pageText.js';
import { runDistillation } from '../src/wiki/distill/run.js';
import { makeAgentWorkspace } from './helpers/agents.js';
import { ROOT } from './helpers/cli.js';
import { gradeA, makeGateWorkspace, ticketInReview, type GateWorkspace } from './helpers/gate.js';
import { appendLogLines } from './helpers/log.js';
import { agentVerifierOf, scriptedVerifierGate } from './helpers/verifierGate.js';
import { git } from './helpers/workspace.js';

/**
 * The other agents follow the registry's `executor` like the ticket executor:
 * the gate's verifier through the REAL Claude Code CLI (driven by the Agent
 * SDK) against the scripted model server, unless its contract says otherwise.
 */
const CLAUDE = path.join(ROOT, 'node_modules/@anthropic-ai/claude-code/bin/claude.exe');
const ready = existsSync(CLAUDE) && sandboxStatus().available;
const SCRIPTED = { provider: 'scripted' as const, default: 'scripted-demo', script: 'model-script.json' };
const FIXED_MUL = { 'src/mul.js': 'export function mul(a, b) {\n  return a * b;\n}\n' };

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

async function claudeGate(script: ModelScript, registry: Record<string, unknown> = {}): Promise<{ gw: GateWorkspace; model: ModelEndpoint }> {
  const made = await scriptedVerifierGate(script, cleanup, { claudeCode: { path: CLAUDE }, ...registry } as never);
  made.gw.ws.registry.brands[0]!.executor = 'claude-code';
  return made;
}

const verifierOf = agentVerifierOf;

/** Claude Code's requests carry its own system prompt and master's tools as MCP tools; the built-in runtime's do not. */
function fromClaudeCode(body: Record<string, unknown>): boolean {
  const tools = ((body.tools ?? []) as Array<{ name: string }>).map((t) => t.name);
  return JSON.stringify(body.system ?? '').includes('Claude Code') && tools.includes('mcp__master__Verdict') && !tools.includes('Verdict');
}

describe.skipIf(!ready)("the verifier follows the brand's executor (real claude, scripted model over HTTP)", () => {
  it('runs through Claude Code when the brand says so: its calls go through the guard chain and its Verdict decides the gate', async () => {
    const { gw, model } = await claudeGate({
      tickets: {
        'verify:T-1': [
          { text: 'Reading the change.', tools: [{ name: 'Glob', input: { pattern: 'src/*.js' } }] },
          { tools: [{ name: 'Read', input: { file_path: '/etc/hostname' } }] },
          { tools: [{ name: 'mcp__master__Verdict', input: { verdict: 'fail', reasons: ['mul.js has no test', 'the criterion asks for one'] } }] },
          { text: 'Verdict given.' },
        ],
      },
    });
    const ticket = ticketInReview(gw, FIXED_MUL, { title: 'Add mul', acceptance: ['mul is tested'] });
    const main = git(gw.repo, 'rev-parse', 'main');

    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('mul.js has no test') });
    const rejected = gw.ws.tickets.get(ticket.id);
    expect(rejected.gate!.verdict).toEqual({ verdict: 'fail', reasons: ['mul.js has no test', 'the criterion asks for one'], mode: 'agent' });
    expect(rejected.feedback.at(-1)).toContain('- the criterion asks for one');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);

    // Every request of the verifier came from Claude Code, and it was given the ticket, the diff and the checks.
    const requests = model.server!.requests.filter((r) => r.ticket === 'verify:T-1');
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(requests.every((r) => fromClaudeCode(r.body))).toBe(true);
    const first = JSON.stringify(requests[0]!.body);
    expect(first).toContain('mul is tested');
    expect(first).toContain('+export function mul');
    // Its calls went through master's chain: a read outside its checkout was refused, Verdict ran as master's own tool.
    const calls = gw.events.filter((e) => e.type === 'tool.call' && e.ticket === 'verify:T-1').map((e) => e.tool);
    expect(calls).toEqual(['Glob', 'Read', 'Verdict']);
    expect(gw.events.some((e) => e.type === 'tool.result' && e.ticket === 'verify:T-1' && e.tool === 'Glob' && !e.isError && String(e.content).includes('mul.js'))).toBe(true);
    expect(gw.events.some((e) => e.type === 'tool.result' && e.ticket === 'verify:T-1' && e.tool === 'Read' && e.refusedBy)).toBe(true);
    // Claude Code was given the verifier's palette only: no Write, no Bash, no subagents.
    const offered = (requests[0]!.body.tools as Array<{ name: string }>).map((t) => t.name).sort();
    expect(offered).toEqual(['Glob', 'Grep', 'Read', 'mcp__master__Verdict']);
    expect(gw.events.some((e) => e.type === 'agent.start' && e.ticket === 'verify:T-1' && e.via === 'claude-code')).toBe(true);
    // Its usage is recorded as Claude Code's.
    expect(gw.events.some((e) => e.type === 'usage.recorded' && e.ticket === ticket.id && e.executor === 'claude-code' && (e.usage as { input: number }).input > 0)).toBe(true);
  }, 240_000);

  it("a contract's own executor wins over the brand's: the verifier contract set to sdk runs on the built-in runtime", async () => {
    const { gw, model } = await claudeGate(
      { tickets: { 'verify:T-1': [{ tools: [{ name: 'Verdict', input: { verdict: 'pass', reasons: ['mul multiplies'] } }] }] } },
      { contracts: { verifier: { executor: 'sdk' } } },
    );
    ticketInReview(gw, FIXED_MUL, { title: 'Add mul' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome!.result).toBe('merged');
    const requests = model.server!.requests.filter((r) => r.ticket === 'verify:T-1');
    expect(requests).toHaveLength(1);
    expect(fromClaudeCode(requests[0]!.body)).toBe(false);
    expect((requests[0]!.body.tools as Array<{ name: string }>).map((t) => t.name).sort()).toEqual(['Glob', 'Grep', 'Read', 'Verdict']);
  });
});

describe.skipIf(!ready)("the wiki's agents follow the brand's executor (real claude, scripted model over HTTP)", () => {
  it("the distiller proposes through master's MCP tool and the librarian writes its page from inside the sandbox, but nothing outside its area", async () => {
    const DAY = '2026-12-01';
    const HIGH = { confidence: 'high', target: 'alpha/release-process', change: 'create', title: 'Release process', content: 'Releases ship on Tuesdays.', sources: ['T-1'] };
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' }, registry: { claudeCode: { path: CLAUDE } } });
    ws.registry.brands[0]!.executor = 'claude-code';
    const merged = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Document the release day', acceptance: ['releases on Tuesdays'] });
    appendLogLines(ws.store, { type: 'ticket.transition', id: merged.id, from: 'triage', to: 'merged', event: 'merge', by: 'gate' });
    const page = path.join(home, 'wiki', 'alpha/release-process.md');
    // Another brand's page: the librarian's write globs (wiki/*/**) cover it, the wiki's authority guard does not.
    const outside = path.join(home, 'wiki', 'beta/by-librarian.md');
    const script: ModelScript = {
      tickets: {
        'distill:alpha': [{ tools: [{ name: 'mcp__master__ProposeFinding', input: HIGH }] }, { text: 'One finding.' }],
        'wiki:alpha/release-process': [
          {
            tools: [
              { name: 'Write', input: { file_path: outside, content: 'not mine' } },
              { name: 'Write', input: { file_path: page, content: proposedPageText(HIGH as never, null, DAY, 'librarian') } },
            ],
          },
          { text: 'Wrote the page.' },
        ],
      },
    };
    const model = await openModel(ws.registry, home, { script, recordRequests: true });
    cleanup.push(
      () => ws.store.close(),
      () => model.close(),
    );
    const report = await runDistillation({ ws, bus, sessionId: 'S-1', signal: new AbortController().signal, clock: () => new Date(`${DAY}T10:00:00Z`), model });

    expect(report.unclassified).toBeUndefined();
    expect(readFileSync(page, 'utf8')).toContain('Releases ship on Tuesdays.');
    expect(existsSync(outside)).toBe(false);
    const distiller = model.server!.requests.filter((r) => r.ticket === 'distill:alpha');
    const librarian = model.server!.requests.filter((r) => r.ticket === 'wiki:alpha/release-process');
    expect(distiller.length).toBeGreaterThanOrEqual(2);
    expect(librarian.length).toBeGreaterThanOrEqual(2);
    for (const request of [...distiller, ...librarian]) expect(JSON.stringify(request.body.system ?? '')).toContain('Claude Code');
    expect((distiller[0]!.body.tools as Array<{ name: string }>).map((t) => t.name)).toContain('mcp__master__ProposeFinding');
    // The write outside the librarian's brand was refused by the wiki's authority guard (the chain, as for the built-in runtime).
    expect(JSON.stringify(librarian.at(-1)!.body.messages)).toMatch(/refused by wiki-authority/);
  }, 240_000);
});

describe('a verifier whose executor is a missing claude', () => {
  it('holds the ticket in review with the reason, and never asks the model', async () => {
    const script: ModelScript = { tickets: { 'verify:T-1': [{ tools: [{ name: 'Verdict', input: { verdict: 'pass', reasons: ['fine'] } }] }] } };
    const gw = await makeGateWorkspace({ registry: { models: SCRIPTED, claudeCode: { path: '/nonexistent/bin/claude' } }, repo: { gate: { verifier: 'agent' } } });
    gw.ws.registry.brands[0]!.executor = 'claude-code';
    writeFileSync(path.join(gw.home, 'model-script.json'), JSON.stringify(script));
    const model = await openModel(gw.ws.registry, gw.home, { script, recordRequests: true });
    cleanup.push(
      () => gw.ws.store.close(),
      () => model.close(),
    );
    const ticket = ticketInReview(gw, FIXED_MUL, { title: 'Add mul' });
    const main = git(gw.repo, 'rev-parse', 'main');
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome).toMatchObject({ reason: expect.stringContaining('the verifier agent cannot run (claudeCode.path "/nonexistent/bin/claude" is not an executable file') });
    expect(gw.ws.tickets.get(ticket.id).state).toBe('review');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
    expect(model.server!.requests).toEqual([]);
  });
});
