import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadRegistryFile } from '../src/registry/load.js';
import { anythingMoved } from '../src/scout/index.js';
import { initWorkspace, writeRegistry } from '../src/workspace/init.js';
import { ms, stats, type Section } from './lib.js';

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
};

function git(cwd: string, ...args: string[]): void {
  const result = spawnSync('git', args, { cwd, env: ENV, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${cwd}`);
}

/** A workspace of `count` real repositories with a commit each. */
function generated(count: number) {
  const home = mkdtempSync(path.join(tmpdir(), `master-bench-scout-${count}-`));
  const { paths } = initWorkspace(home);
  const repos: string[] = [];
  for (let i = 0; i < count; i++) {
    const dir = path.join(home, 'repos', `repo-${i}`);
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    writeFileSync(path.join(dir, 'README.md'), `# repo ${i}\n`);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'initial');
    repos.push(dir);
  }
  const brands = Array.from({ length: Math.ceil(count / 10) }, (_, b) => ({
    id: `brand-${b}`,
    name: `Brand ${b}`,
    repos: repos.slice(b * 10, b * 10 + 10).map((dir) => ({ id: path.basename(dir), path: path.relative(home, dir) })),
  }));
  writeRegistry(paths, { brands });
  return { home, paths, repos, registry: loadRegistryFile(paths.registry) };
}

export async function scoutBench(): Promise<Section> {
  const rows: Section['rows'] = [];
  let worst = 0;
  for (const count of [9, 100]) {
    const ws = generated(count);
    const first = await anythingMoved(ws, undefined);
    const heads = first.heads;
    const loop = `for r in ${ws.repos.map((r) => `'${r}'`).join(' ')}; do git -C "$r" rev-parse HEAD >/dev/null; done`;
    const ours: number[] = [];
    const shell: number[] = [];
    for (let i = 0; i < 25; i++) {
      let t = performance.now();
      const check = await anythingMoved(ws, heads);
      ours.push(performance.now() - t);
      if (check.moved.length) throw new Error('nothing should have moved');
      t = performance.now();
      spawnSync('bash', ['-c', loop], { stdio: 'ignore' });
      shell.push(performance.now() - t);
    }
    const a = stats(ours.slice(5)).p50;
    const b = stats(shell.slice(5)).p50;
    worst = Math.max(worst, a / b);
    rows.push({ repos: String(count), 'anythingMoved p50 (ms)': ms(a), 'shell loop of git rev-parse (ms)': ms(b), ratio: `${(a / b).toFixed(3)}×` });
  }
  return {
    id: 'scout',
    title: 'Scout: the "did anything move?" check',
    target: '≤ 1.0× a shell loop running `git rev-parse HEAD` in each repo',
    rows,
    verdict: worst <= 1 ? 'met' : 'missed',
    notes: 'In process, reading ref files (loose and packed) with no git process; medians of 20 runs after 5 warm-ups, interleaved with the shell loop.',
  };
}
