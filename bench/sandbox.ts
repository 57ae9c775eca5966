import { loadavg } from 'node:os';
import { spawnBash } from '../src/agents/tools/spawnBash.js';
import { sandboxStatus } from '../src/sandbox/index.js';
import type { Ticket } from '../src/state/types.js';
import { makeGuardFixture } from '../tests/guards-fixture.js';
import { ms, stats, type Section } from './lib.js';

/**
 * What the OS sandbox costs each command: `true` run the way an agent's Bash
 * runs it (policy built, bwrap started: read-only root, binds, hidden silo),
 * against the same runner with the sandbox off (a bare `bash -c true`),
 * interleaved so machine noise hits both alike.
 */
export async function sandboxBench(): Promise<Section> {
  const status = sandboxStatus();
  const fx = makeGuardFixture();
  const context = fx.context({ ticket: { id: 'T-1' } as Ticket, agent: 'executor' });
  const bare = { ...context, registry: { ...context.registry, sandbox: 'off' as const } };
  const runs = 300;
  const boxed: number[] = [];
  const plain: number[] = [];
  const once = async (ctx: typeof context, into: number[] | null) => {
    const start = performance.now();
    const outcome = await spawnBash(ctx, 'true', 30_000);
    if (outcome.exitCode !== 0) throw new Error(`sandbox bench: true ${outcome.output}`);
    into?.push(performance.now() - start);
  };
  for (let i = 0; i < 10; i++) {
    if (status.available) await once(context, null);
    await once(bare, null);
  }
  for (let i = 0; i < runs; i++) {
    await once(bare, plain);
    if (status.available) await once(context, boxed);
  }
  const p = stats(plain);
  const b = status.available ? stats(boxed) : null;
  const overhead = b ? b.p50 - p.p50 : NaN;
  return {
    id: 'sandbox',
    title: 'OS sandbox start-up per command',
    target: 'p50 ≤ 3× a bare `bash -c true` (a ratio: the shared machine is too noisy for absolute figures)',
    rows: [
      { runner: 'bare `bash -c true` (sandbox off)', runs: String(p.n), 'p50 (ms)': ms(p.p50), 'p99 (ms)': ms(p.p99) },
      ...(b ? [{ runner: 'in the sandbox (policy + bwrap + `bash -c true`)', runs: String(b.n), 'p50 (ms)': ms(b.p50), 'p99 (ms)': ms(b.p99) }] : []),
    ],
    verdict: b ? (b.p50 / p.p50 <= 3 ? 'met' : 'missed') : 'n/a',
    notes: b
      ? `p50 overhead ${ms(overhead)} ms (${(b.p50 / p.p50).toFixed(2)}×), load average ${loadavg()[0]!.toFixed(1)} during the run. Both through spawnBash (own process group, output capture) in a workspace with a silo brand, so the sandbox row includes building the policy and its binds.`
      : `No sandbox here: ${status.available ? '' : status.reason}.`,
  };
}
