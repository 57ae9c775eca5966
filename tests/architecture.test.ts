import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/cli.js';

/*
 * The layers, read from the import specifiers of the source itself: a module
 * that reaches upward fails here, whatever the type checker thinks of it.
 */

const SOURCE_DIRS = ['src', 'machines', 'components'];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...sourceFiles(file));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(file);
  }
  return out;
}

const SPECIFIER = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** Relative imports of a file, resolved to files of the repo (`.js` written, `.ts`/`.tsx` on disk). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (!spec.startsWith('.')) continue;
    const base = path.resolve(path.dirname(file), spec).replace(/\.js$/, '');
    const resolved = [`${base}.ts`, `${base}.tsx`, path.join(base, 'index.ts')].find((f) => existsSync(f));
    if (resolved) out.push(resolved);
  }
  return out;
}

const files = SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(ROOT, d)));
const graph = new Map(files.map((f) => [f, importsOf(f)]));
const rel = (f: string) => path.relative(ROOT, f).split(path.sep).join('/');

/** Every file reachable from `start` by imports, with one path that reaches it. */
function reachable(start: string[]): Map<string, string[]> {
  const via = new Map<string, string[]>(start.map((f) => [f, [rel(f)]]));
  const queue = [...start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const next of graph.get(file) ?? []) {
      if (via.has(next)) continue;
      via.set(next, [...via.get(file)!, rel(next)]);
      queue.push(next);
    }
  }
  return via;
}

/** Import chains from the files under `from` into the folders `forbidden`. */
function upwardImports(from: string, forbidden: string[]): string[] {
  const start = files.filter((f) => rel(f).startsWith(`${from}/`));
  expect(start.length, `no files under ${from}`).toBeGreaterThan(0);
  return [...reachable(start).entries()].filter(([file]) => forbidden.some((dir) => rel(file).startsWith(`${dir}/`))).map(([, chain]) => chain.join(' → '));
}

describe('architecture', () => {
  it('the import graph is read (an upward import would be seen)', () => {
    // The gate uses the doctor: that edge exists, so the scan below can find one the other way.
    expect(upwardImports('src/gate', ['src/doctor']).length).toBeGreaterThan(0);
  });

  it('the doctor is a library below the gate and the loop: nothing it imports, even indirectly, is above it', () => {
    expect(upwardImports('src/doctor', ['src/gate', 'src/loop', 'src/cli', 'src/cockpit', 'src/mcp', 'components'])).toEqual([]);
  });

  it('the gate, the doctor, the budget and the agents are below the session loop: nothing they import, even indirectly, is in src/loop', () => {
    for (const layer of ['src/gate', 'src/doctor', 'src/budget', 'src/agents']) expect(upwardImports(layer, ['src/loop']), layer).toEqual([]);
  });

  it('one zod flavour: every schema is zod/mini (the classic API would load on every start)', () => {
    const classic = [...files, ...sourceFiles(path.join(ROOT, 'tests'))].filter((f) => /from\s*['"]zod['"]|import\(\s*['"]zod['"]|require\(\s*['"]zod['"]/.test(readFileSync(f, 'utf8')));
    expect(classic.map(rel)).toEqual([]);
  });

  it('the gate does not reach up into the CLI or the UI', () => {
    expect(upwardImports('src/gate', ['src/cli', 'src/cockpit', 'components'])).toEqual([]);
  });

  it('the state store is below everything that changes it', () => {
    expect(upwardImports('src/state', ['src/tickets', 'src/gate', 'src/loop', 'src/agents', 'src/doctor', 'src/cli', 'src/cockpit', 'src/mcp', 'components'])).toEqual([]);
  });

  it('only src/tickets holds the right to make ticket events', () => {
    const holders = files.filter((f) => importsOf(f).some((i) => rel(i) === 'src/tickets/mint.ts')).map(rel);
    expect(holders.length).toBeGreaterThan(0);
    expect(holders.filter((f) => !f.startsWith('src/tickets/'))).toEqual([]);
    const claimers = files.filter((f) => readFileSync(f, 'utf8').includes('claimTicketMint(')).map(rel);
    expect(claimers.sort()).toEqual(['src/state/ticketMint.ts', 'src/tickets/mint.ts']);
  });
});
