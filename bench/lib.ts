import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

/** Median and 99th percentile of samples (ms). */
export function stats(samples: number[]): { p50: number; p99: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99), n: sorted.length };
}

export function ms(value: number): string {
  return value < 1 ? value.toFixed(3) : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

/** Wall time of a command, median of `runs` runs after one warm-up (ms). */
export function wallTime(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; runs?: number } = {}): number {
  const runs = options.runs ?? 15;
  const samples: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    const result = spawnSync(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: 'ignore' });
    const elapsed = performance.now() - start;
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
    if (i > 0) samples.push(elapsed);
  }
  return stats(samples).p50;
}

/** Interleaves baseline and subject runs so machine noise hits both alike; returns medians (ms). */
export function ratioToBaseline(subject: () => void, baseline: () => void, runs = 15): { subject: number; baseline: number; ratio: number } {
  const a: number[] = [];
  const b: number[] = [];
  subject();
  baseline();
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    baseline();
    b.push(performance.now() - t);
    t = performance.now();
    subject();
    a.push(performance.now() - t);
  }
  const s = stats(a).p50;
  const base = stats(b).p50;
  return { subject: s, baseline: base, ratio: s / base };
}

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
  const result = spawnSync(command, args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

/** One benchmark's rendered result. */
export interface Section {
  id: string;
  title: string;
  target: string;
  rows: Array<Record<string, string>>;
  verdict: 'met' | 'missed' | 'n/a';
  notes?: string;
}
