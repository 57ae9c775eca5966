// `master doctor` on the demo workspace: wall time as a ratio to `node -e 0`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ms, ratioToBaseline, type Section } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'dist', 'master.js');

function node(args: string[], okCodes: number[] = [0]): () => number {
  return () => {
    const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
    if (!okCodes.includes(result.status ?? -1)) throw new Error(`node ${args.join(' ')} exited ${result.status}`);
    return result.status ?? -1;
  };
}

/** Creates a fresh demo workspace (`master demo --dir`) and returns its folder. */
export function demoWorkspace(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'master-bench-doctor-'));
  node([BIN, 'demo', '--dir', dir])();
  return dir;
}

export async function doctorBench(): Promise<Section> {
  const home = demoWorkspace();
  // Exit 1 (a grade below A) still measures the full doctor; the grade is reported beside the time.
  const doctor = node([BIN, '--home', home, 'doctor', '--json'], [0, 1]);
  const grade = spawnSync(process.execPath, [BIN, '--home', home, 'doctor', '--json'], { encoding: 'utf8' });
  const report = JSON.parse(grade.stdout) as { grade: string; passed: number; total: number };
  const result = ratioToBaseline(doctor, node(['-e', '0']), 15);
  return {
    id: 'doctor',
    title: '`master doctor` on the demo workspace: wall time as a ratio to `node -e 0`',
    target: '≤ 5×',
    rows: [
      {
        workspace: 'master demo (7 brands, 9 repos)',
        grade: `${report.grade} ${report.passed}/${report.total}`,
        'median (ms)': ms(result.subject),
        'node -e 0 (ms)': ms(result.baseline),
        ratio: `${result.ratio.toFixed(2)}×`,
      },
    ],
    verdict: result.ratio <= 5 ? 'met' : 'missed',
    notes:
      'Medians of 15 runs, interleaved with the baseline. The doctor reads files, runs 3 git calls per repo (all repos at once) and one `git --version`, and probes the OS sandbox once for the silo brand; no network.',
  };
}
