import { afterEach, describe, expect, it } from 'vitest';
import type { ModelEndpoint } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { runMergeGate } from '../src/gate/index.js';
import { defaultPhases } from '../src/loop/phases/index.js';
import { runSession } from '../src/loop/session.js';
import { gradeA, ticketInReview, type GateWorkspace } from './helpers/gate.js';
import { agentVerifierOf, scriptedVerifierGate } from './helpers/verifierGate.js';
import { git } from './helpers/workspace.js';

const FIXED_MUL = { 'src/mul.js': 'export function mul(a, b) {\n  return a * b;\n}\n' };

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

function agentGate(script: ModelScript): Promise<{ gw: GateWorkspace; model: ModelEndpoint }> {
  return scriptedVerifierGate(script, cleanup);
}

const verifierOf = agentVerifierOf;

describe('the verifier agent (scripted model over real HTTP)', () => {
  it('rejects on a fail verdict given through the Verdict tool, with its reasons; a write attempt is refused by the palette', async () => {
    const { gw, model } = await agentGate({
      tickets: {
        'verify:T-1': [
          { text: 'Reading the change.', tools: [{ name: 'Read', input: { file_path: 'src/mul.js' } }] },
          { tools: [{ name: 'Write', input: { file_path: 'src/mul.js', content: 'tampered' } }] },
          { tools: [{ name: 'Verdict', input: { verdict: 'fail', reasons: ['mul.js has no test', 'the criterion asks for one'] } }] },
        ],
      },
    });
    const ticket = ticketInReview(gw, FIXED_MUL, { title: 'Add mul', acceptance: ['mul is tested'] });
    const main = git(gw.repo, 'rev-parse', 'main');

    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('mul.js has no test') });
    const rejected = gw.ws.tickets.get(ticket.id);
    expect(rejected.state).toBe('rejected');
    expect(rejected.feedback.at(-1)).toContain('- the criterion asks for one');
    expect(rejected.gate!.verdict).toEqual({ verdict: 'fail', reasons: ['mul.js has no test', 'the criterion asks for one'], mode: 'agent' });
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);

    const requests = model.server!.requests.filter((r) => r.ticket === 'verify:T-1');
    expect(requests).toHaveLength(3);
    const first = JSON.stringify(requests[0]!.body);
    // The verifier reads the ticket, its criterion, the diff and the check results.
    expect(first).toContain('mul is tested');
    expect(first).toContain('+export function mul');
    expect(first).toMatch(/test \(`node --test`\): passed/);
    // Its palette is read-only plus Verdict, and Verdict has a schema.
    const tools = requests[0]!.body.tools as Array<{ name: string; input_schema: { properties: Record<string, { enum?: string[] }> } }>;
    expect(tools.map((t) => t.name).sort()).toEqual(['Glob', 'Grep', 'Read', 'Verdict']);
    expect(tools.find((t) => t.name === 'Verdict')!.input_schema.properties.verdict!.enum).toEqual(['pass', 'fail']);
    const third = JSON.stringify(requests[2]!.body.messages);
    expect(third).toMatch(/"is_error":true/);
    expect(third).toMatch(/not in the verifier contract's palette/);
  });

  it('merges on a pass verdict, with the reasons in the evidence', async () => {
    const { gw, model } = await agentGate({
      tickets: { 'verify:T-1': [{ tools: [{ name: 'Verdict', input: { verdict: 'pass', reasons: ['mul multiplies; tests pass'] } }] }] },
    });
    const ticket = ticketInReview(gw, FIXED_MUL, { title: 'Add mul' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome!.result).toBe('merged');
    expect(gw.ws.tickets.get(ticket.id).gate!.verdict).toEqual({ verdict: 'pass', reasons: ['mul multiplies; tests pass'], mode: 'agent' });
  });

  it('a script may key verifier turns by "Verify: <title>", which wins over the executor\'s turns keyed by the title', async () => {
    const { gw, model } = await agentGate({
      tickets: {
        'Add mul': [{ tools: [{ name: 'Finish', input: { summary: 'executor turn, not for the verifier' } }] }],
        'Verify: Add mul': [{ tools: [{ name: 'Verdict', input: { verdict: 'pass', reasons: ['keyed by title'] } }] }],
      },
    });
    const ticket = ticketInReview(gw, FIXED_MUL, { title: 'Add mul' });
    const [outcome] = await runMergeGate(gw.ws, { doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome!.result).toBe('merged');
    expect(gw.ws.tickets.get(ticket.id).gate!.verdict.reasons).toEqual(['keyed by title']);
  });

  it('never passes on free text: a run that ends without Verdict leaves the ticket waiting in review', async () => {
    const { gw, model } = await agentGate({ tickets: { 'verify:T-1': [{ text: 'Looks good to me, pass.' }] } });
    const ticket = ticketInReview(gw, FIXED_MUL);
    const [outcome] = await runMergeGate(gw.ws, { doctor: gradeA, verifier: verifierOf(gw, model) });
    expect(outcome).toMatchObject({ result: 'waiting', reason: expect.stringContaining('without calling Verdict') });
    expect(gw.ws.tickets.get(ticket.id).state).toBe('review');
  });

  it("the session's merge phase opens the workspace's model, runs the verifier and the real doctor, and merges", async () => {
    const script: ModelScript = { tickets: { 'verify:T-1': [{ tools: [{ name: 'Verdict', input: { verdict: 'pass', reasons: ['fine'] } }] }] } };
    const { gw } = await agentGate(script);
    const ticket = ticketInReview(gw, FIXED_MUL);
    const summary = await runSession(gw.ws, { ci: true, phases: defaultPhases(), only: 'merge', bus: gw.bus });
    expect(summary.outcomes.merge).toBe('ran');
    expect(summary.results.merge?.summary).toMatch(/1 merged/);
    const merged = gw.ws.tickets.get(ticket.id);
    expect(merged.state).toBe('merged');
    expect(merged.gate!.doctor.grade).toBe('A');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(merged.gate!.candidateSha);
  });
});
