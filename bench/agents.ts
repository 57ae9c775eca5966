import path from 'node:path';
import { dispatch } from '../src/agents/dispatcher.js';
import { toolChainFor } from '../src/agents/confinement.js';
import { mergeContract } from '../src/agents/contracts.js';
import { openModel } from '../src/agents/model.js';
import { runAgent } from '../src/agents/runtime.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { Transcript } from '../src/agents/transcript.js';
import { Bus } from '../src/bus/index.js';
import { openWorkspace } from '../src/workspace/open.js';
import { makeAgentWorkspace } from '../tests/helpers/agents.js';
import { makeRepo, makeWorkspace } from '../tests/helpers/workspace.js';
import { ms, stats, type Section } from './lib.js';

/** 50 script tickets across 7 brands at concurrency 4: wall time beyond the commands' own time, per ticket. */
export async function dispatchBench(): Promise<Section> {
  const brands = Array.from({ length: 7 }, (_, i) => ({ id: `brand-${i}`, name: `Brand ${i}`, repos: [{ id: `app-${i}`, path: `repos/app-${i}` }] }));
  const home = makeWorkspace({ brands, dispatch: { concurrency: 4, lanesPerBrand: 1 } });
  for (const b of brands) makeRepo(path.join(home, b.repos[0]!.path));
  const ws = await openWorkspace(home);
  for (let i = 0; i < 50; i++) {
    const b = brands[i % 7]!;
    ws.tickets.create({ brand: b.id, repo: b.repos[0]!.id, title: `script ${i}`, kind: 'script', run: [`echo ${i} > out-${i}.txt`], state: 'ready' });
  }
  const started = performance.now();
  const report = await dispatch({ ws, bus: new Bus(), sessionId: 'S-bench' });
  const wall = performance.now() - started;
  await ws.store.close();
  const reached = report.runs.filter((r) => r.outcome === 'submitted').length;
  const commandMs = report.runs.reduce((sum, r) => sum + r.commandMs, 0);
  // The commands ran up to 4 at a time: their share of the wall time is their sum over the concurrency.
  const perTicket = (wall - commandMs / 4) / 50;
  return {
    id: 'dispatch',
    title: 'Dispatch: orchestration overhead of script tickets',
    target: "≤ 150 ms per ticket (50 script tickets, 7 brands, concurrency 4, beyond the commands' own time)",
    rows: [{ tickets: '50', 'reached review': String(reached), 'wall (ms)': ms(wall), 'commands (ms, summed)': ms(commandMs), 'overhead per ticket (ms)': ms(perTicket) }],
    verdict: perTicket <= 150 && reached === 50 ? 'met' : 'missed',
    notes: 'Each ticket: a worktree on its own branch, its command through the tool chain (guards included), a commit, two transitions through the event log, worktree kept for review.',
  };
}

/** Runtime overhead per agent turn against the scripted server answering at once. */
export async function agentTurnBench(): Promise<Section> {
  const turns = 50;
  const script: ModelScript = {
    tickets: {
      bench: [
        ...Array.from({ length: turns - 1 }, () => ({ text: 'Reading.', tools: [{ name: 'Read', input: { file_path: 'README.md' } }] })),
        { tools: [{ name: 'Finish', input: { summary: 'done' } }] },
      ],
    },
  };
  const { home, ws } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script, files: { 'README.md': '# bench\n' } });
  const model = await openModel(ws.registry, home, { script });
  const contract = { ...mergeContract(ws.registry, 'executor'), maxTurns: turns + 5 };
  const root = path.join(home, 'repos/alpha-app');
  const perTurn: number[] = [];
  try {
    for (let i = 0; i < 12; i++) {
      const transcript = new Transcript(path.join(ws.paths.transcripts, 'bench', `R-${i}.ndjson`));
      const started = performance.now();
      const result = await runAgent({
        contract,
        model,
        system: 'You are a bench.',
        messages: [{ role: 'user', content: 'Ticket: bench' }],
        context: { paths: ws.paths, registry: ws.registry, root, cwd: root, brand: 'alpha', repo: 'alpha-app', agent: 'executor', sessionId: 'S-bench' },
        chain: toolChainFor(ws),
        transcript,
        bus: new Bus(),
        labels: { ticket: 'bench' },
      });
      const wall = performance.now() - started;
      transcript.close();
      if (result.status !== 'finished') throw new Error(`bench run ended ${result.status}: ${result.reason}`);
      if (i >= 2) perTurn.push((wall - result.toolMs) / result.turns);
    }
  } finally {
    await model.close();
    await ws.store.close();
  }
  const s = stats(perTurn);
  return {
    id: 'agent-turn',
    title: 'Agent runtime: overhead per turn',
    target: '≤ 5 ms per turn against the scripted server answering at once',
    rows: [{ 'turns per run': String(turns), runs: String(s.n), 'p50 per turn (ms)': ms(s.p50), 'p99 per turn (ms)': ms(s.p99) }],
    verdict: s.p50 <= 5 ? 'met' : 'missed',
    notes:
      "Per turn: request build, a real HTTP streaming request to the in-process scripted server through the real SDK, stream parse, tool dispatch through the chain, events and transcript lines; the tools' own time is subtracted. The scripted server runs in the same process, so its time counts against us.",
  };
}
