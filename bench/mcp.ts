import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { buildGuardChain } from '../src/guards/chain.js';
import { createMasterServer } from '../src/mcp/server.js';
import { openWorkspace } from '../src/workspace/open.js';
import { ms, stats, type Section } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'dist', 'master.js');

function workspace(): string {
  const home = mkdtempSync(path.join(tmpdir(), 'master-bench-mcp-'));
  spawnSync(process.execPath, [BIN, 'init', home], { stdio: 'ignore' });
  const registry = path.join(home, 'registry.json');
  const data = JSON.parse(readFileSync(registry, 'utf8')) as { brands: unknown[] };
  data.brands = [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }];
  writeFileSync(registry, JSON.stringify(data));
  spawnSync(process.execPath, [BIN, '--home', home, 'ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'bench ticket'], { stdio: 'ignore' });
  return home;
}

async function connect(home: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--home', home], stderr: 'ignore' }));
  return client;
}

/** `master mcp` over stdio: ticket_get round trips, and start to the first answered tools/list against `node -e 0`. */
export async function mcpBench(): Promise<Section> {
  const home = workspace();
  const client = await connect(home);
  for (let i = 0; i < 100; i++) await client.callTool({ name: 'ticket_get', arguments: { id: 'T-1' } });
  const samples: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t = performance.now();
    const result = await client.callTool({ name: 'ticket_get', arguments: { id: 'T-1' } });
    samples.push(performance.now() - t);
    if (result.isError) throw new Error(`ticket_get failed: ${JSON.stringify(result.content)}`);
  }
  await client.close();
  const trip = stats(samples);

  // The same calls in process (the SDK's in-memory transport): the server's own share, without pipes and scheduling.
  const ws = await openWorkspace(home);
  const server = createMasterServer({ ws, chain: buildGuardChain({ paths: ws.paths, registry: ws.registry, store: ws.store }), sessionId: 'bench' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const inProcess = new Client({ name: 'bench', version: '1' });
  await inProcess.connect(clientSide);
  const local: number[] = [];
  for (let i = 0; i < 1100; i++) {
    const t = performance.now();
    await inProcess.callTool({ name: 'ticket_get', arguments: { id: 'T-1' } });
    if (i >= 100) local.push(performance.now() - t);
  }
  await inProcess.close();
  await ws.store.close();
  const own = stats(local);

  // Start to first tools/list, interleaved with `node -e 0` so machine noise hits both alike.
  const starts: number[] = [];
  const baselines: number[] = [];
  for (let i = 0; i <= 15; i++) {
    let t = performance.now();
    spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    const base = performance.now() - t;
    t = performance.now();
    const c = await connect(home);
    await c.listTools();
    const start = performance.now() - t;
    await c.close();
    if (i === 0) continue;
    baselines.push(base);
    starts.push(start);
  }
  const start = stats(starts).p50;
  const base = stats(baselines).p50;
  const ratio = start / base;
  return {
    id: 'mcp',
    title: '`master mcp` over stdio: ticket_get round trip and start to first tools/list',
    target: 'ticket_get p50 ≤ 2 ms; start to the first answered tools/list ≤ 3× `node -e 0`',
    rows: [
      { measure: 'ticket_get round trip (1,000 calls)', p50: `${ms(trip.p50)} ms`, p99: `${ms(trip.p99)} ms`, 'node -e 0': '', ratio: '' },
      { measure: 'ticket_get in process (1,000 calls, in-memory transport)', p50: `${ms(own.p50)} ms`, p99: `${ms(own.p99)} ms`, 'node -e 0': '', ratio: '' },
      { measure: 'start → first tools/list (15 runs)', p50: `${ms(start)} ms`, p99: '', 'node -e 0': `${ms(base)} ms`, ratio: `${ratio.toFixed(2)}×` },
    ],
    verdict: trip.p50 <= 2 && ratio <= 3 ? 'met' : 'missed',
    notes:
      `Load average at the end: ${loadavg()[0]!.toFixed(1)} (the machine is shared). ` +
      'A real `node dist/master.js mcp` process driven by the SDK client over stdio; every call passes the guard chain (its allow is a `guard.decision` appended to the event log in batches) and reads the ticket after catching up with the log. The start is spawn, initialize handshake and the tools/list answer.',
  };
}
