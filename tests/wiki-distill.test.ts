import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openModel, type ModelEndpoint } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { answerQuestion } from '../src/questions/index.js';
import { Wiki } from '../src/wiki/wiki.js';
import { readFindings } from '../src/wiki/distill/findings.js';
import { proposedPageText } from '../src/wiki/distill/pageText.js';
import { runDistillation } from '../src/wiki/distill/run.js';
import type { Workspace } from '../src/workspace/open.js';
import { makeAgentWorkspace, type AgentWorkspace } from './helpers/agents.js';
import { appendLogLines } from './helpers/log.js';
import { page, writePages } from './helpers/wiki.js';

const DAY = '2026-12-01';
const clock = () => new Date(`${DAY}T10:00:00Z`);
const call = (name: string, input: Record<string, unknown>) => ({ name, input });

const HIGH = {
  confidence: 'high',
  target: 'alpha/release-process',
  change: 'create',
  title: 'Release process',
  content: 'Releases ship on Tuesdays; the changelog names every ticket. See [[global/conventions]].',
  sources: ['T-1'],
};
const MEDIUM_YES = { confidence: 'medium', target: 'alpha/deploy', change: 'append', content: 'Deploys after 16:00 tend to need a rollback.', sources: ['inbox/deploy-times'] };
const MEDIUM_NO = { confidence: 'medium', target: 'global/conventions', change: 'append', content: 'Every brand deploys on Fridays.', sources: ['inbox/deploy-times'] };
const LOW = { confidence: 'low', target: 'alpha/hunch', change: 'create', content: 'The flaky test may be the clock.', sources: ['T-1'] };

/** The librarian's (or operator-global's) turns: write what the distillation suggests, after trying to write outside its area. */
function authorityTurns(home: string, finding: { target: string } & Record<string, unknown>, existing: string | null, authority: string, attacks: Array<[string, string]> = []) {
  const file = path.join(home, 'wiki', `${finding.target}.md`);
  return [
    {
      tools: [
        ...attacks.map(([p, c]) => call('Write', { file_path: path.join(home, p), content: c })),
        call('Write', { file_path: file, content: proposedPageText(finding as never, existing, DAY, authority) }),
      ],
    },
    { tools: [call('Finish', { summary: `wrote ${finding.target}` })] },
  ];
}

function events(home: string): Array<Record<string, unknown>> {
  const dir = path.join(home, '.master/events');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').trim().split('\n'))
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function mergedTicket(ws: Workspace, title: string): string {
  const t = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title, acceptance: ['releases on Tuesdays'] });
  // Merged, written straight into the log (the ticket machine would want a whole gate run first).
  appendLogLines(ws.store, { type: 'ticket.transition', id: t.id, from: 'triage', to: 'merged', event: 'merge', by: 'gate' });
  return t.id;
}

let model: ModelEndpoint | null = null;
afterEach(async () => {
  await model?.close();
  model = null;
});

async function setup(): Promise<AgentWorkspace & { script: ModelScript }> {
  const script: ModelScript = { tickets: {} };
  const aw = await makeAgentWorkspace({ brands: [{ id: 'alpha' }, { id: 'beta' }], files: { 'README.md': '# app\n' } });
  writePages(aw.home, {
    'global/conventions': page('Conventions', 'global', 'Every brand keeps a changelog.'),
    'alpha/deploy': page('Deploys', 'alpha', 'Deploy with the checklist. See [[global/conventions]].'),
    'inbox/deploy-times': page('Deploy times', 'alpha', 'Two rollbacks this week, both after 16:00.'),
  });
  mergedTicket(aw.ws, 'Document the release day');
  // What the guards refused alpha's agents is in the event log: the distiller reads it too.
  aw.ws.store.record({ type: 'guard.decision', tool: 'Bash', verdict: 'deny', guard: 'pre-merge-gate', reason: "git push to main is the gate's", brand: 'alpha', agent: 'executor', session: 'S-0' });
  script.tickets['distill:alpha'] = [
    {
      tools: [
        call('ProposeFinding', HIGH),
        call('ProposeFinding', MEDIUM_YES),
        call('ProposeFinding', MEDIUM_NO),
        call('ProposeFinding', LOW),
        // Read-only: a distiller that tries to write the wiki, or to propose for another brand, is refused.
        call('Write', { file_path: path.join(aw.home, 'wiki/alpha/by-distiller.md'), content: 'sneaky' }),
        call('ProposeFinding', { ...HIGH, target: 'beta/overreach' }),
      ],
    },
    { tools: [call('Finish', { summary: 'four findings' })] },
  ];
  script.tickets['wiki:alpha/release-process'] = authorityTurns(aw.home, HIGH, null, 'librarian', [
    ['wiki/global/by-librarian.md', 'not mine'],
    ['wiki/beta/by-librarian.md', 'not my brand'],
    ['wiki/ledger/by-librarian.md', 'not mine'],
  ]);
  const deployBefore = readFileSync(path.join(aw.home, 'wiki/alpha/deploy.md'), 'utf8');
  script.tickets['wiki:alpha/deploy'] = authorityTurns(aw.home, MEDIUM_YES, deployBefore, 'librarian');
  model = await openModel(aw.ws.registry, aw.home, { script, recordRequests: true });
  return { ...aw, script };
}

const distil = (aw: AgentWorkspace) => runDistillation({ ws: aw.ws, bus: aw.bus, sessionId: 'S-1', signal: new AbortController().signal, clock, model });

describe('daily distillation with the scripted model', () => {
  it('routes high, medium and low findings by authority; only the authority writes, each in its own area', async () => {
    const aw = await setup();
    const { home, ws } = aw;
    // The wiki was searched before: its index exists, and the run must bring it along.
    void Wiki.open(ws.paths).index.size;
    const report = await distil(aw);
    expect(report.failed).toEqual([]);
    expect(report.classified).toBe(4);
    // The pages it wrote are in the index file itself: no change waits for the operator's next search.
    expect(JSON.parse(readFileSync(path.join(home, '.master/wiki/search-meta.json'), 'utf8')).pending).toEqual({});
    expect(
      Wiki.open(ws.paths)
        .index.query('Tuesdays')
        .map((h) => h.page),
    ).toContain('alpha/release-process');

    // High: written now by alpha's librarian, recorded with page, authority, finding and sources.
    const written = readFileSync(path.join(home, 'wiki/alpha/release-process.md'), 'utf8');
    expect(written).toContain('Releases ship on Tuesdays');
    expect(written).toMatch(/authority: librarian/);
    const writes = events(home).filter((e) => e.type === 'wiki.write');
    expect(writes).toEqual([expect.objectContaining({ page: 'alpha/release-process', authority: 'librarian', finding: 'F-1', sources: ['T-1'] })]);

    // Medium: approvals with the change as a diff; nothing written yet.
    const approvals = Object.values(ws.store.state.questions).filter((q) => q.kind === 'approval');
    expect(approvals).toHaveLength(2);
    expect(approvals[0]!.text).toContain('append alpha/deploy');
    expect(approvals[0]!.text).toContain('+Deploys after 16:00 tend to need a rollback.');
    expect(readFileSync(path.join(home, 'wiki/alpha/deploy.md'), 'utf8')).not.toContain('16:00');

    // Low: the ledger only.
    const ledger = readFileSync(path.join(home, `wiki/ledger/${DAY}.md`), 'utf8');
    expect(ledger).toContain('## F-4: create alpha/hunch (low)');
    expect(ledger).toContain('> The flaky test may be the clock.');
    expect(ledger).toContain('## T-1: Document the release day');
    expect(existsSync(path.join(home, 'wiki/alpha/hunch.md'))).toBe(false);

    // Refused and logged: the distiller's write, its proposal for another brand, the librarian outside its area.
    for (const file of ['alpha/by-distiller', 'beta/overreach', 'global/by-librarian', 'beta/by-librarian', 'ledger/by-librarian']) {
      expect(existsSync(path.join(home, 'wiki', `${file}.md`)), file).toBe(false);
    }
    const denials = events(home).filter((e) => e.type === 'guard.decision' && e.verdict === 'deny');
    expect(denials.some((e) => e.tool === 'Write' && e.guard === 'palette')).toBe(true);
    expect(denials.some((e) => e.tool === 'Write' && e.guard === 'wiki-authority')).toBe(true);
    expect(denials.some((e) => e.tool === 'Write' && e.guard === 'write-authority')).toBe(true);
    const distillerRequests = JSON.stringify(model!.server!.requests.filter((r) => r.ticket === 'distill:alpha').map((r) => r.body));
    expect(distillerRequests).toContain('not proposed: a distiller of alpha proposes alpha/ or global/ pages only');
    // The distiller saw its candidates: the merged ticket and the inbox note.
    expect(distillerRequests).toContain('T-1: Document the release day');
    expect(distillerRequests).toContain('Two rollbacks this week');
    expect(distillerRequests).toContain("1× pre-merge-gate: git push to main is the gate's");

    // The operator approves one and declines the other; the next run acts on both.
    answerQuestion(ws, approvals[0]!.id, 'yes');
    answerQuestion(ws, approvals[1]!.id, 'no, we never deploy on Fridays');
    const second = await distil(aw);
    expect(second.written).toEqual(['alpha/deploy']);
    const deploy = readFileSync(path.join(home, 'wiki/alpha/deploy.md'), 'utf8');
    expect(deploy).toContain('Deploy with the checklist.');
    expect(deploy).toContain('Deploys after 16:00 tend to need a rollback.');
    expect(
      events(home)
        .filter((e) => e.type === 'wiki.write')
        .map((e) => e.page),
    ).toEqual(['alpha/release-process', 'alpha/deploy']);
    const ledgerAfter = readFileSync(path.join(home, `wiki/ledger/${DAY}.md`), 'utf8');
    expect(ledgerAfter).toContain('## F-3: append global/conventions (medium)');
    expect(ledgerAfter).toContain('declined by the operator');
    expect(ledgerAfter).toContain('no, we never deploy on Fridays');
    expect(readFileSync(path.join(home, 'wiki/global/conventions.md'), 'utf8')).not.toContain('Fridays');

    // Again: nothing to do, nothing asked of the model, nothing added twice.
    const requests = model!.server!.requests.length;
    const third = await distil(aw);
    expect(third.classified + third.written.length + third.pending.length + third.ledgered.length).toBe(0);
    expect(model!.server!.requests.length).toBe(requests);
    expect(readFileSync(path.join(home, `wiki/ledger/${DAY}.md`), 'utf8')).toBe(ledgerAfter);
    expect(readFindings(ws.paths.data).findings.map((f) => `${f.id}:${f.status}`)).toEqual(['F-1:written', 'F-2:written', 'F-3:ledger', 'F-4:ledger']);
  });

  it('without a model the candidates still reach the ledger, and it says no findings were classified', async () => {
    const aw = await setup();
    const report = await runDistillation({ ws: aw.ws, bus: aw.bus, sessionId: 'S-1', signal: new AbortController().signal, clock, model: null });
    expect(report.unclassified).toBeTruthy();
    const ledger = readFileSync(path.join(aw.home, `wiki/ledger/${DAY}.md`), 'utf8');
    expect(ledger).toContain('No findings were classified');
    expect(ledger).toContain('## T-1: Document the release day');
    expect(ledger).toContain('## note inbox/deploy-times');
  });
});
