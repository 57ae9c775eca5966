import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ms, ratioToBaseline, type Section } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'dist', 'master.js');

function node(args: string[]): () => void {
  return () => {
    const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  };
}

export async function sessionBench(): Promise<Section> {
  const dir = mkdtempSync(path.join(tmpdir(), 'master-bench-demo-'));
  node([BIN, 'demo', '--dir', dir])();
  // Settle the demo: the first sessions scout and dispatch; after that nothing is left to do.
  for (let i = 0; i < 3; i++) spawnSync(process.execPath, [BIN, '--home', dir, 'start', '--ci'], { stdio: 'ignore' });
  const idle = ratioToBaseline(node([BIN, '--home', dir, 'start', '--ci']), node(['-e', '0']), 10);
  return {
    id: 'session',
    title: 'A full `master start --ci` with nothing to do (demo workspace)',
    target: '≤ 5× `node -e 0`',
    rows: [{ 'start --ci (ms)': ms(idle.subject), 'node -e 0 (ms)': ms(idle.baseline), ratio: `${idle.ratio.toFixed(2)}×` }],
    verdict: idle.ratio <= 5 ? 'met' : 'missed',
    notes: 'Medians of 10 interleaved runs after the demo was settled by three sessions.',
  };
}
