import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ms, ratioToBaseline, type Section } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'dist', 'master.js');

function node(args: string[], cwd = ROOT): () => void {
  return () => {
    const result = spawnSync(process.execPath, args, { cwd, stdio: 'ignore' });
    if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
  };
}

/** A workspace with a few dozen tickets, like an operator's on a normal day. */
function smallWorkspace(): string {
  const home = mkdtempSync(path.join(tmpdir(), 'master-bench-startup-'));
  node([BIN, 'init', home])();
  const registry = path.join(home, 'registry.json');
  const edit = `const fs=require('fs');const r=JSON.parse(fs.readFileSync(${JSON.stringify(registry)}));r.brands=[{id:'alpha',name:'Alpha',repos:[{id:'alpha-app',path:'repos/alpha-app'}]}];fs.writeFileSync(${JSON.stringify(registry)},JSON.stringify(r));`;
  node(['-e', edit])();
  for (let i = 0; i < 30; i++) node([BIN, '--home', home, 'ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', `ticket ${i}`])();
  return home;
}

export async function startupBench(): Promise<Section> {
  const home = smallWorkspace();
  const baseline = node(['-e', '0']);
  const version = ratioToBaseline(node([BIN, '--version']), baseline, 20);
  const list = ratioToBaseline(node([BIN, '--home', home, 'ticket', 'list']), baseline, 20);
  const rows = [
    { command: 'master --version', 'median (ms)': ms(version.subject), 'node -e 0 (ms)': ms(version.baseline), ratio: `${version.ratio.toFixed(2)}×` },
    { command: 'master ticket list (30 tickets)', 'median (ms)': ms(list.subject), 'node -e 0 (ms)': ms(list.baseline), ratio: `${list.ratio.toFixed(2)}×` },
  ];
  return {
    id: 'startup',
    title: 'CLI startup: wall time as a ratio to `node -e 0`',
    target: '≤ 2.5× for `master --version` and `master ticket list`',
    rows,
    verdict: version.ratio <= 2.5 && list.ratio <= 2.5 ? 'met' : 'missed',
    notes: 'Medians of 20 runs each, baseline and subject interleaved in the same run.',
  };
}
