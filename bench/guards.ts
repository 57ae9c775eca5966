import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadHooks } from '../src/guards/index.js';
import { measureGuardLatency } from '../src/guards/bench.js';
import { makeGuardFixture } from '../tests/guards-fixture.js';
import { ms, type Section } from './lib.js';

export async function guardsBench(): Promise<Section> {
  const fx = makeGuardFixture();
  const context = fx.context();
  const builtins = await measureGuardLatency({ paths: fx.paths, registry: fx.registry, context, builtinsOnly: true, iterations: 3000 });
  const dir = mkdtempSync(path.join(tmpdir(), 'master-bench-hook-'));
  writeFileSync(path.join(dir, 'noop.json'), JSON.stringify({ event: 'PreToolUse', matcher: '*', command: 'cat > /dev/null', timeout: 10 }));
  const external = await measureGuardLatency({ paths: fx.paths, registry: fx.registry, context, hooks: loadHooks(dir), iterations: 200 });
  return {
    id: 'guards',
    title: 'Guard chain latency per tool call',
    target: 'p50 ≤ 0.2 ms with the built-in guards only',
    rows: [
      { chain: 'built-in guards only', calls: String(builtins.calls), 'p50 (ms)': ms(builtins.p50Ms), 'p99 (ms)': ms(builtins.p99Ms) },
      { chain: 'one external hook command (`cat > /dev/null`)', calls: String(external.calls), 'p50 (ms)': ms(external.p50Ms), 'p99 (ms)': ms(external.p99Ms) },
    ],
    verdict: builtins.p50Ms <= 0.2 ? 'met' : 'missed',
    notes:
      "A mix of typical executor calls (Read, Edit, Write, Bash with pipes, Grep, Glob, an MCP tool) in a workspace with a silo brand; audit writes excluded. The external hook row is a process spawn per call: its cost is the operator's choice.",
  };
}
