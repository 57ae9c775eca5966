import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import type { ModelEndpoint } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { DEMO_AGENT_SCRIPT, writeDemoModelScript } from '../src/demo/agentScripts.js';
import { runMergeGate } from '../src/gate/index.js';
import { answerQuestion, openQuestions } from '../src/questions/index.js';
import { makeAgentWorkspace, type AgentWorkspace } from './helpers/agents.js';
import { tempDir } from './helpers/cli.js';
import { gradeA, ticketInReview, type GateWorkspace } from './helpers/gate.js';
import { agentVerifierOf, scriptedVerifierGate } from './helpers/verifierGate.js';
import { git } from './helpers/workspace.js';

/** The demo's own script minus its seeded tickets: every request here is one the script has no entry for. */
const UNSCRIPTED: ModelScript = { tickets: {}, unscripted: 'demo', fallback: DEMO_AGENT_SCRIPT.fallback! };

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

function demoGate(): Promise<{ gw: GateWorkspace; model: ModelEndpoint }> {
  return scriptedVerifierGate(UNSCRIPTED, cleanup);
}

const verifierOf = agentVerifierOf;

describe('the demo model on a ticket the operator wrote (no script for it)', () => {
  it('the verifier passes a candidate whose checks pass and whose diff changes the repo, and says how it judged', async () => {
    const { gw, model } = await demoGate();
    const ticket = ticketInReview(gw, { 'CONTRIBUTING.md': 'Contributions welcome.\n' }, { title: 'Add a contributing note' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome!.result).toBe('merged');
    const { reasons } = gw.ws.tickets.get(ticket.id).gate!.verdict;
    expect(reasons).toContain('every check passed: test, lint');
    expect(reasons.join('\n')).toContain('CONTRIBUTING.md (+1 −0)');
    expect(reasons.join('\n')).toContain('scripted demo model');
    expect(git(gw.repo, 'show', 'main:CONTRIBUTING.md')).toBe('Contributions welcome.');
  });

  it('the verifier fails a candidate that commits merge-conflict markers, naming the file; main does not move', async () => {
    const { gw, model } = await demoGate();
    const main = git(gw.repo, 'rev-parse', 'main');
    const ticket = ticketInReview(gw, { 'NOTES.md': '<<<<<<< HEAD\nours\n=======\ntheirs\n>>>>>>> branch\n' }, { title: 'Merge the notes' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('NOTES.md has merge-conflict markers') });
    expect(gw.ws.tickets.get(ticket.id).feedback.at(-1)).toContain('NOTES.md has merge-conflict markers');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
  });
});

describe('the demo model as the executor of an agent ticket it has no script for', () => {
  async function agentTicket(): Promise<{ aw: AgentWorkspace; id: string }> {
    const aw = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script: UNSCRIPTED });
    cleanup.push(() => aw.ws.store.close());
    const ticket = aw.ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Add a CHANGELOG', body: 'Start one.', acceptance: [], state: 'ready' });
    return { aw, id: ticket.id };
  }
  const run = (aw: AgentWorkspace) => dispatch({ ws: aw.ws, bus: aw.bus, sessionId: 'S-1', env: { ANTHROPIC_API_KEY: '' } });

  it('says it is the demo model and asks the operator; the command given as the answer is run and goes to review', async () => {
    const { aw, id } = await agentTicket();
    await run(aw);
    expect(aw.ws.tickets.get(id).state).toBe('blocked');
    const [question] = openQuestions(aw.ws.store.state.questions);
    expect(question).toMatchObject({ ticket: id });
    expect(question!.text).toMatch(/^I am the scripted demo model and have no script for T-1 "Add a CHANGELOG"/);
    expect(question!.text).toContain('Answer with a shell command');

    answerQuestion(aw.ws, question!.id, "printf '# Changelog\\n' > CHANGELOG.md");
    await run(aw);
    const ticket = aw.ws.tickets.get(id);
    expect(ticket.state).toBe('review');
    const last = ticket.runs.at(-1)!;
    expect(readFileSync(path.join(last.worktree, 'CHANGELOG.md'), 'utf8')).toBe('# Changelog\n');
    // Committed on the ticket's branch, ready for the gate.
    expect(git(last.worktree, 'show', `${last.headSha}:CHANGELOG.md`)).toBe('# Changelog');
  });

  it('answered "skip", it makes no change and the ticket fails with a reason, instead of waiting silently', async () => {
    const { aw, id } = await agentTicket();
    await run(aw);
    const [question] = openQuestions(aw.ws.store.state.questions);
    answerQuestion(aw.ws, question!.id, 'skip');
    await run(aw);
    const ticket = aw.ws.tickets.get(id);
    expect(ticket.state).toBe('failed');
    expect(ticket.runs.at(-1)!.reason).toContain('the run changed nothing');
    expect(existsSync(path.join(ticket.runs.at(-1)!.worktree, 'CHANGELOG.md'))).toBe(false);
  });
});

describe("the demo workspace's script", () => {
  it('is written with "unscripted": "demo", and an older demo script gains it (an edited one is left alone)', () => {
    const home = tempDir('master-demo-script-');
    expect(writeDemoModelScript(home)).toBe(true);
    const file = path.join(home, '.master/model-script.json');
    expect(JSON.parse(readFileSync(file, 'utf8')).unscripted).toBe('demo');

    const { unscripted: _, ...older } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify(older));
    expect(writeDemoModelScript(home)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).unscripted).toBe('demo');
    expect(writeDemoModelScript(home)).toBe(false);

    writeFileSync(file, JSON.stringify({ ...older, fallback: [{ text: 'my own' }] }));
    expect(writeDemoModelScript(home)).toBe(false);
    expect(JSON.parse(readFileSync(file, 'utf8')).unscripted).toBeUndefined();
  });
});
