import { cpSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNames } from '../src/wiki/frontCoded.js';
import { readIndexFile } from '../src/wiki/indexFile.js';
import type { FoldPath } from '../src/wiki/search.js';
import { Wiki } from '../src/wiki/wiki.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { makeWikiWorkspace, page, writePages } from './helpers/wiki.js';

const open = (home: string) => Wiki.open(workspacePaths(home));
const derived = (home: string, ...parts: string[]) => path.join(home, '.master', 'wiki', ...parts);
const pendingNames = (home: string) => Object.keys(JSON.parse(readFileSync(derived(home, 'search-meta.json'), 'utf8')).pending);

/** A small deterministic generator, so the generated wiki is the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

// Syllables that share prefixes, so terms branch and merge in MiniSearch's term tree at every depth.
const SYLLABLES = ['re', 'ra', 'de', 'di', 'pl', 'pa', 'co', 'ca', 'st', 'sa', 'ma', 'mo', 'te', 'ti', 'a', 'e', 'o', 'lo', 'x'];

function word(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 4);
  let w = '';
  for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)]!;
  return w;
}

function generatedPages(count: number, seed: number, prefix = 'gen'): Record<string, string> {
  const rand = prng(seed);
  const pages: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const body = Array.from({ length: 20 + Math.floor(rand() * 40) }, () => word(rand)).join(' ');
    pages[`${prefix}/topic-${i % 5}/page-${i}`] = page(`Page ${i} ${word(rand)}`, ['alpha', 'beta', 'global'][i % 3]!, body, `tags: [${word(rand)}]\n`);
  }
  return pages;
}

/**
 * Settles the pending changes of the wiki as it is on disk both ways, each
 * from the same starting files, and answers the two index files written.
 */
function bothWays(home: string): Record<FoldPath, Buffer> {
  const dir = derived(home);
  const saved = `${dir}.saved`;
  rmSync(saved, { recursive: true, force: true });
  cpSync(dir, saved, { recursive: true });
  const out = {} as Record<FoldPath, Buffer>;
  for (const how of ['maps', 'columns'] as const) {
    rmSync(dir, { recursive: true, force: true });
    cpSync(saved, dir, { recursive: true });
    const index = open(home).index;
    expect(index.updated).toBe(0);
    expect(pendingNames(home).length).toBeGreaterThan(0);
    index.settle(how);
    // The columns fold handled it itself (no fall back to the maps), and nothing is left pending either way.
    expect(index.folded).toBe(how);
    expect(pendingNames(home)).toEqual([]);
    out[how] = readFileSync(derived(home, 'search.idx'));
  }
  rmSync(saved, { recursive: true, force: true });
  return out;
}

function expectSameFold(home: string): void {
  const { maps, columns } = bothWays(home);
  expect(columns.length).toBe(maps.length);
  expect(columns.equals(maps)).toBe(true);
}

/** A fixture wiki with generated pages, its index written, nothing pending. */
function wikiWithIndex(): string {
  const home = makeWikiWorkspace(generatedPages(150, 7));
  expect(open(home).index.updated).toBeGreaterThan(150);
  expect(pendingNames(home)).toEqual([]);
  return home;
}

const terms = (home: string) => new Set(readIndexFile(derived(home, 'search.idx'), {})!.terms.map(([t]) => t));

describe("folding pending changes into the index file at its columns writes MiniSearch's own file, byte for byte", () => {
  it('one changed page', () => {
    const home = wikiWithIndex();
    writePages(home, { 'beta/style': page('House style', 'beta', 'Beta now writes about quokkas and long release sentences.', 'aliases: [house-style]\n') });
    expect(open(home).index.updated).toBe(1);
    expectSameFold(home);
  });

  it('a removed page, and a page whose words exist only in it, so its terms vanish', () => {
    const home = wikiWithIndex();
    unlinkSync(path.join(home, 'wiki/alpha/notes.md'));
    writePages(home, {
      'solo/unique': page('Zanzibarian quixotry', 'global', 'Xylophonic zephyrous quagmirical rerererere plplpl.'),
    });
    expect(open(home).index.updated).toBe(2);
    open(home).index.settle();
    expect(terms(home).has('quixotry')).toBe(true);
    unlinkSync(path.join(home, 'wiki/solo/unique.md'));
    unlinkSync(path.join(home, 'wiki/global/lonely.md'));
    expect(open(home).index.updated).toBe(2);
    expectSameFold(home);
    expect(terms(home).has('quixotry')).toBe(false);
    expect(terms(home).has('rerererere')).toBe(false);
  });

  it('a new page with brand-new terms, splitting the term tree near its root', () => {
    const home = wikiWithIndex();
    writePages(home, { 'new/page': page('Brand new', 'global', 'qa qb qbz rez rexx remamamz dez a0 zz zzz e9 oooo xylo plzzz') });
    expect(open(home).index.updated).toBe(1);
    expectSameFold(home);
    expect(terms(home).has('remamamz')).toBe(true);
  });

  it('many changes at once: edits, removals and new pages', () => {
    const home = wikiWithIndex();
    const regenerated = generatedPages(40, 99);
    writePages(home, regenerated);
    for (let i = 100; i < 110; i++) unlinkSync(path.join(home, `wiki/gen/topic-${i % 5}/page-${i}.md`));
    writePages(home, generatedPages(12, 5, 'fresh'));
    expect(open(home).index.updated).toBe(40 + 10 + 12);
    expectSameFold(home);
  });

  it('the same page changed twice, and a page removed then back, while the first changes wait', () => {
    const home = wikiWithIndex();
    writePages(home, { 'beta/style': page('House style', 'beta', 'First rewrite: wombats only.') });
    unlinkSync(path.join(home, 'wiki/global/conventions.md'));
    void open(home).index.size;
    writePages(home, { 'alpha/notes': page('Alpha notes', 'alpha', 'Notes again, about remamama.') });
    // A page the index file never held, added and removed while waiting: pending as removed, nothing to discard.
    writePages(home, { 'short/lived': page('Short lived', 'global', 'ephemeral mayfly words') });
    void open(home).index.size;
    unlinkSync(path.join(home, 'wiki/short/lived.md'));
    writePages(home, { 'beta/style': page('House style', 'beta', 'Second rewrite: numbats and repl.') });
    writePages(home, { 'global/conventions': page('Conventions', 'global', 'Back, with other words: deplo cosa.') });
    void open(home).index.size;
    expect(pendingNames(home).sort()).toEqual(['alpha/notes', 'beta/style', 'global/conventions', 'short/lived']);
    expectSameFold(home);
    expect(terms(home).has('mayfly')).toBe(false);
    expect(terms(home).has('numbats')).toBe(true);
  });

  it('a count beyond 16 bits coming in (the file turns 32 bits wide) and going again', () => {
    const home = wikiWithIndex();
    writePages(home, { 'big/page': page('Big', 'global', `${'rebound '.repeat(70000)}and more`) });
    expect(open(home).index.updated).toBe(1);
    expectSameFold(home);
    expect(readIndexFile(derived(home, 'search.idx'), {})!.table.shortIds).toBeInstanceOf(Uint32Array);
    unlinkSync(path.join(home, 'wiki/big/page.md'));
    writePages(home, { 'beta/style': page('House style', 'beta', 'Narrow again.') });
    expect(open(home).index.updated).toBe(2);
    expectSameFold(home);
    expect(readIndexFile(derived(home, 'search.idx'), {})!.table.shortIds).toBeInstanceOf(Uint16Array);
    // A field length beyond 16 bits (every posting's numbers fit, the table's do not): the whole file is 32 bits again.
    const distinct = Array.from({ length: 70000 }, (_, i) => `w${i.toString(36)}`).join(' ');
    writePages(home, { 'big/wide': page('Wide', 'global', distinct) });
    expect(open(home).index.updated).toBe(1);
    expectSameFold(home);
    expect(readIndexFile(derived(home, 'search.idx'), {})!.table.shortIds).toBeInstanceOf(Uint32Array);
  });

  it('one fold after another (each write reorders the terms as MiniSearch iterates them)', () => {
    const home = wikiWithIndex();
    const chain = (how: FoldPath): Buffer[] => {
      const files: Buffer[] = [];
      const base = makeWikiWorkspace(generatedPages(60, 3));
      void open(base).index.size;
      for (let round = 0; round < 3; round++) {
        writePages(base, generatedPages(6 + round, 100 + round));
        writePages(base, { [`round/${round}`]: page(`Round ${round}`, 'global', `round${round} ${word(prng(round))} ${word(prng(round + 9))}`) });
        if (round > 0) unlinkSync(path.join(base, `wiki/round/${round - 1}.md`));
        const index = open(base).index;
        index.settle(how);
        expect(index.folded).toBe(how);
        files.push(readFileSync(derived(base, 'search.idx')));
      }
      return files;
    };
    void home;
    const maps = chain('maps');
    const columns = chain('columns');
    for (let round = 0; round < maps.length; round++) expect(columns[round]!.equals(maps[round]!)).toBe(true);
  });

  it('front-codes page names into the same bytes as ever (a file written before reads the same)', () => {
    const long = 'x'.repeat(200);
    const coded = encodeNames(['ab', 'abc', 'b', long, `${long}é`]);
    const expected = [0, 2, ...Buffer.from('ab'), 2, 1, ...Buffer.from('c'), 0, 1, ...Buffer.from('b'), 0, 200, 1, ...Buffer.from(long), 200, 2, ...Buffer.from('é')];
    expect([...coded.bytes]).toEqual(expected);
    expect([...coded.restarts]).toEqual([0, expected.length]);
  });
});
