import { existsSync } from 'node:fs';
import path from 'node:path';
import { runClaudeCode } from '../src/agents/claudeCode/run.js';
import { toolChainFor } from '../src/agents/confinement.js';
import { mergeContract } from '../src/agents/contracts.js';
import { openModel } from '../src/agents/model.js';
import { runAgent } from '../src/agents/runtime.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { Transcript } from '../src/agents/transcript.js';
import { Bus, type BusEvent } from '../src/bus/index.js';
import { makeAgentWorkspace } from '../tests/helpers/agents.js';
import { ms, stats, type Section } from './lib.js';

const CLAUDE = path.resolve(import.meta.dirname, '../node_modules/@anthropic-ai/claude-code/bin/claude.exe');

/** Milliseconds from each tool call to its result, from the bus events. */
function perCall(events: BusEvent[]): number[] {
  const started = new Map<string, number>();
  const out: number[] = [];
  for (const e of events) {
    if (e.type === 'tool.call') started.set(String(e.id), Number(e.t));
    if (e.type === 'tool.result' && started.has(String(e.id))) out.push(Number(e.t) - started.get(String(e.id))!);
  }
  return out;
}

/**
 * Per tool call, the built-in runtime against Claude Code (the real CLI via
 * the Agent SDK, in the OS sandbox), both with the scripted model: from the
 * `tool.call` event to its `tool.result`. For Claude Code that is the hook
 * round trip into master's guard chain, the canUseTool round trip, Claude
 * Code running its Read and the result coming back over the SDK's stream.
 */
export async function claudeCodeBench(): Promise<Section> {
  if (!existsSync(CLAUDE)) throw new Error(`no Claude Code at ${CLAUDE}: npm install first`);
  const calls = 30;
  const { home, ws } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# bench\n' } });
  const root = path.join(home, 'repos/alpha-app');
  const readTurns = (file: string) => Array.from({ length: calls }, () => ({ tools: [{ name: 'Read', input: { file_path: file } }] }));
  const script: ModelScript = {
    tickets: {
      'bench-sdk': [...readTurns('README.md'), { tools: [{ name: 'Finish', input: { summary: 'done' } }] }],
      'bench-cc': [...readTurns(path.join(root, 'README.md')), { text: 'done' }],
    },
  };
  const model = await openModel(ws.registry, home, { script });
  const contract = { ...mergeContract(ws.registry, 'executor'), maxTurns: calls + 5 };
  const context = { paths: ws.paths, registry: ws.registry, root, cwd: root, brand: 'alpha', repo: 'alpha-app', agent: 'executor', sessionId: 'S-bench' };
  const chain = toolChainFor(ws);
  const collect = () => {
    const bus = new Bus();
    const events: BusEvent[] = [];
    bus.subscribe((e) => events.push({ ...e, t: performance.now() }));
    return { bus, events };
  };
  const sdk: number[] = [];
  const cc: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const a = collect();
      const t1 = new Transcript(path.join(ws.paths.transcripts, 'bench', `sdk-${i}.ndjson`));
      const r1 = await runAgent({ contract, model, system: 'bench', messages: [{ role: 'user', content: 'Ticket: bench-sdk' }], context, chain, transcript: t1, bus: a.bus });
      t1.close();
      if (r1.status !== 'finished') throw new Error(`built-in run ended ${r1.status}: ${r1.reason}`);
      sdk.push(...perCall(a.events));
      const b = collect();
      const t2 = new Transcript(path.join(ws.paths.transcripts, 'bench', `cc-${i}.ndjson`));
      const r2 = await runClaudeCode({ contract, claudePath: CLAUDE, systemAppend: 'bench', prompt: 'Ticket: bench-cc', context, chain, transcript: t2, bus: b.bus, baseUrl: model.server!.url });
      t2.close();
      if (r2.status !== 'finished') throw new Error(`Claude Code run ended ${r2.status}: ${r2.reason}`);
      cc.push(...perCall(b.events));
    }
  } finally {
    await model.close();
    await ws.store.close();
  }
  const s = stats(sdk);
  const c = stats(cc);
  return {
    id: 'claude-code',
    title: 'Claude Code executor: overhead per tool call',
    target: 'Claude Code adds ≤ 50 ms per tool call (p50) over the built-in runtime',
    rows: [
      { executor: 'built-in (sdk)', calls: String(s.n), 'p50 (ms)': ms(s.p50), 'p99 (ms)': ms(s.p99) },
      { executor: 'claude-code', calls: String(c.n), 'p50 (ms)': ms(c.p50), 'p99 (ms)': ms(c.p99) },
    ],
    verdict: c.p50 - s.p50 <= 50 ? 'met' : 'missed',
    notes:
      "From the `tool.call` event to its `tool.result`, for a Read of a small file, 30 calls a run, 3 runs each. Built-in: the guard chain and our Read. Claude Code (2.1.197, real CLI in bubblewrap): the PreToolUse hook round trip into master's guard chain, the canUseTool round trip, Claude Code's own Read and the result back over the SDK stream. Claude Code's start-up (seconds) is not per call and not counted here.",
  };
}
