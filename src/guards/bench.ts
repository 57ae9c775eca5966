import type { ToolCall, ToolContext } from './types.js';
import { buildGuardChain, type GuardChainOptions } from './chain.js';

export interface LatencyReport {
  calls: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/** A mix of typical calls of an executor in its worktree. */
export function typicalCalls(): ToolCall[] {
  return [
    { id: 'b1', name: 'Read', input: { file_path: 'src/index.ts' } },
    { id: 'b2', name: 'Edit', input: { file_path: 'src/index.ts', old_string: 'a', new_string: 'b' } },
    { id: 'b3', name: 'Bash', input: { command: 'npm test -- --run tests/app.test.ts 2>&1 | tail -20' } },
    { id: 'b4', name: 'Grep', input: { pattern: 'TODO', path: 'src' } },
    { id: 'b5', name: 'Bash', input: { command: 'git status --short && git diff --stat' } },
    { id: 'b6', name: 'Write', input: { file_path: 'docs/notes.md', content: '# notes\n' } },
    { id: 'b7', name: 'Glob', input: { pattern: '**/*.ts' } },
    { id: 'b8', name: 'mcp__tickets__list', input: { state: 'ready' } },
  ];
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

/**
 * Guard-chain latency per tool call (`evaluate`, audit off so the event log's
 * disk flush is not counted): with `builtinsOnly` the built-in guards alone;
 * without, the workspace's external hook commands too (their process cost).
 * Each call is a fresh object, as the runtime makes one per tool use.
 */
export async function measureGuardLatency(options: GuardChainOptions & { context: ToolContext; calls?: ToolCall[]; iterations?: number; warmup?: number }): Promise<LatencyReport> {
  const chain = buildGuardChain({ ...options, audit: false });
  const calls = options.calls ?? typicalCalls();
  const iterations = options.iterations ?? 2000;
  const samples: number[] = [];
  const warmup = options.warmup ?? Math.min(200, iterations);
  for (let i = 0; i < warmup + iterations; i++) {
    const template = calls[i % calls.length]!;
    const call: ToolCall = { id: `${template.id}-${i}`, name: template.name, input: { ...template.input } };
    const start = performance.now();
    await chain.evaluate(call, options.context);
    const ms = performance.now() - start;
    if (i >= warmup) samples.push(ms);
  }
  samples.sort((a, b) => a - b);
  return {
    calls: samples.length,
    p50Ms: percentile(samples, 50),
    p99Ms: percentile(samples, 99),
    meanMs: samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length),
  };
}
