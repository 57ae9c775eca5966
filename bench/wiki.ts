import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Wiki } from '../src/wiki/wiki.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { ms, ratioToBaseline, stats, type Section } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'dist', 'master.js');
const BRANDS = ['sandbox', 'umano', 'violetstudios', 'suite52', 'blockwise', 'maxproduct', 'personal'];
const WORDS =
  'release deploy changelog ticket label event listing lesson duration curriculum venue upload checks lint verifier merge gate branch rollback tag schedule budget invoice artist persona catalog score idea impact effort risk window average trade signal backtest career resume skills interview content video script studio render model prompt wiki page distill ledger approval silo guard hook sandbox worktree commit review acceptance criteria'.split(
    ' ',
  );

/** A vocabulary like a real wiki's: a few common words and thousands of rarer ones (Zipf-like draws). */
function vocabulary(rand: () => number, size = 6000): string[] {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pa', 'qu', 'dro', 'ben', 'tal', 'fis'];
  const out = [...WORDS];
  while (out.length < size) out.push(Array.from({ length: 2 + Math.floor(rand() * 3) }, () => syllables[Math.floor(rand() * syllables.length)]).join(''));
  return out;
}

/** A deterministic generator, so every run measures the same wiki. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** A workspace whose wiki has `count` pages in brand subfolders, each ~120 words with three links. */
export function generate(count: number): string {
  const home = mkdtempSync(path.join(tmpdir(), 'master-bench-wiki-'));
  writeFileSync(path.join(home, 'registry.json'), JSON.stringify({ brands: BRANDS.map((id) => ({ id, name: id, repos: [] })) }));
  const rand = prng(count);
  const vocab = vocabulary(prng(1));
  const zipf = () => vocab[Math.min(vocab.length - 1, Math.floor(vocab.length ** rand()) - 1)]!;
  const name = (i: number) => `${BRANDS[i % BRANDS.length]}/topic-${i % 40}/page-${i}`;
  for (let i = 0; i < count; i++) {
    const words = Array.from({ length: 120 }, zipf).join(' ');
    const links = [1, 2, 3].map(() => `[[${name(Math.floor(rand() * count))}]]`).join(' ');
    const file = path.join(home, 'wiki', `${name(i)}.md`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      `---\ntitle: Page ${i} ${WORDS[i % WORDS.length]}\nbrand: ${BRANDS[i % BRANDS.length]}\nupdated: 2026-05-07\ntags: [${WORDS[(i * 7) % WORDS.length]}]\n---\n\n${words}\n\nSee ${links}.\n`,
    );
  }
  return home;
}

/** CPU milliseconds this process used (all its threads): what a run costs, whatever the machine's load. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function measure(count: number) {
  const home = generate(count);
  const loadBefore = loadavg()[0]!;
  const paths = workspacePaths(home);
  const heapBefore = process.memoryUsage().heapUsed;
  let t = performance.now();
  let c = cpuMs();
  const built = Wiki.open(paths);
  void built.index.size;
  const build = performance.now() - t;
  const buildCpu = cpuMs() - c;
  const heap = process.memoryUsage().heapUsed - heapBefore;

  const rand = prng(7);
  const samples: number[] = [];
  for (let i = 0; i < 300; i++) {
    const query = rand() < 0.5 ? WORDS[Math.floor(rand() * WORDS.length)]! : `${WORDS[Math.floor(rand() * WORDS.length)]} ${WORDS[Math.floor(rand() * WORDS.length)]}`;
    t = performance.now();
    built.index.query(query, { limit: 10 });
    samples.push(performance.now() - t);
  }
  const search = stats(samples);

  t = performance.now();
  void Wiki.open(paths).index.size;
  const reopen = performance.now() - t;

  // One page edited in place (its folder's mtime does not move), then a fresh open: first told which page
  // changed (as a writer that knows it does), then finding it by the look at every page (as a hand edit is found).
  const changed = 'umano/topic-1/page-1';
  const edit = (i: number) => writeFileSync(path.join(home, 'wiki', `${changed}.md`), `---\ntitle: Changed ${i}\nbrand: umano\nupdated: 2026-05-08\n---\n\nchanged text ${i} zebracorn\n`);
  const timeOpen = (i: number, open: () => Wiki) => {
    edit(i);
    t = performance.now();
    c = cpuMs();
    const wiki = open();
    void wiki.index.size;
    const wall = performance.now() - t;
    const cpu = cpuMs() - c;
    if (wiki.index.updated !== 1) throw new Error(`expected one page re-indexed, got ${wiki.index.updated}`);
    return { wall, cpu };
  };
  const named = Array.from({ length: 5 }, (_, i) => timeOpen(i, () => Wiki.open(paths, { changed: [changed] })));
  const looked = Array.from({ length: 5 }, (_, i) => timeOpen(i + 5, () => Wiki.open(paths)));
  const change = stats(named.map((r) => r.wall)).p50;
  const changeCpu = stats(named.map((r) => r.cpu)).p50;
  const lookChange = stats(looked.map((r) => r.wall)).p50;
  const lookChangeCpu = stats(looked.map((r) => r.cpu)).p50;

  const searchProcess = () => {
    const r = spawnSync(process.execPath, [BIN, 'wiki', 'search', 'release', 'deploy', '--home', home], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error(`master wiki search exited ${r.status}`);
  };
  // The edits above wait in the index's meta file: the first search answers with them and then folds them into the index file.
  t = performance.now();
  searchProcess();
  const settle = performance.now() - t;
  const proc = ratioToBaseline(searchProcess, () => void spawnSync(process.execPath, ['-e', '0']), 21);
  rmSync(home, { recursive: true, force: true });
  const load = `${loadBefore.toFixed(1)}–${loadavg()[0]!.toFixed(1)}`;
  return { count, build, buildCpu, heap, search, reopen, change, changeCpu, lookChange, lookChangeCpu, proc, settle, load };
}

export async function wikiBench(): Promise<Section> {
  const runs = [measure(336), measure(10_000)];
  const big = runs[1]!;
  const met = big.search.p50 <= 20 && big.proc.ratio <= 3 && big.build <= 5000 && big.change <= 50;
  return {
    id: 'wiki',
    title: 'Wiki: index build, search, incremental update (generated pages in brand subfolders)',
    target: 'at 10,000 pages: search p50 ≤ 20 ms in process, `master wiki search` ≤ 3× `node -e 0`, full build ≤ 5 s, one changed page ≤ 50 ms',
    verdict: met ? 'met' : 'missed',
    rows: runs.map((r) => ({
      pages: String(r.count),
      'full build (ms)': `${ms(r.build)} (CPU ${ms(r.buildCpu)})`,
      'heap after build (MiB)': (r.heap / 2 ** 20).toFixed(1),
      'search p50 / p99 (ms)': `${ms(r.search.p50)} / ${ms(r.search.p99)}`,
      'reopen unchanged (ms)': ms(r.reopen),
      'one changed page, named (ms)': `${ms(r.change)} (CPU ${ms(r.changeCpu)})`,
      'one changed page, found by the look (ms)': `${ms(r.lookChange)} (CPU ${ms(r.lookChangeCpu)})`,
      'master wiki search': `${ms(r.proc.subject)} ms, ${r.proc.ratio.toFixed(2)}×`,
      'first search after changes (ms)': ms(r.settle),
      'load average': r.load,
    })),
    notes:
      '"reopen" and both "one changed page" columns are a fresh `Wiki.open` in the bench process, after one page was edited in place (its folder\'s mtime does not move). ' +
      "\"named\" is the target's figure: the caller says which page it changed (`Wiki.open(paths, { changed })`, as a writer that knows does): the manifest is read, only that page is stat-ed and parsed, then the manifest, that folder's part of the catalog and the index's small meta file are saved (the changed page waits there beside the index file, which is rewritten when a search or the day's distillation folds the waiting pages in, or once 256 have gathered). " +
      '"found by the look" is what every command does when no one says what changed (hand edits between runs are found this way): the same, plus a walk of the folder and a stat of every page; "reopen" is that look when nothing changed. The stat of every page is the floor of that look: in-place edits move no folder\'s mtime, so nothing cheaper finds them. The manifest it compares against is binary (names, then the [mtime, size] pairs as doubles used where they lie, then the hashes, decoded only for a page that changed). ' +
      "Search p50/p99 are in process with the index loaded. `master wiki search` is a whole process: Node's start, the look at every page (a stat of each: the floor, as above), the index file's small JSON head, its document table as typed arrays straight from the file (page names front-coded, decoded only for the hits), and only the shards its words start with (their postings typed arrays too), one query and its snippets. Its words, release and deploy, are the generator's two commonest: nearly every page matches both, so all 10,000 are scored in a process whose code is not warm yet; a rarer word costs much less. " +
      "\"first search after changes\" is the one search that meets the edited page above waiting in the index's meta file: it answers with that change applied (which needs MiniSearch's own maps), then folds it into the index file, so the searches after it (the ratio's runs) read the file clean. " +
      "CPU is this process's CPU time (all threads), which the machine's load (the last column, at the start and end of the row) does not inflate as much as wall time.",
  };
}
