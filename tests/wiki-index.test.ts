import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eachName, encodeNames, nameAt } from '../src/wiki/frontCoded.js';
import { readIndexFile, writeIndexFile } from '../src/wiki/indexFile.js';
import { StoredSearch } from '../src/wiki/storedSearch.js';
import { WikiIndex, type SearchHit } from '../src/wiki/search.js';
import { Wiki } from '../src/wiki/wiki.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { makeWikiWorkspace, page, writePages } from './helpers/wiki.js';

const open = (home: string) => Wiki.open(workspacePaths(home));
const found = (home: string, words: string) =>
  open(home)
    .index.query(words)
    .map((h) => h.page);
const derived = (home: string, ...parts: string[]) => path.join(home, '.master', 'wiki', ...parts);

describe('the wiki index on disk', () => {
  it('re-indexes only a changed page, in a fresh open, and finds its new words and not its old ones', () => {
    const home = makeWikiWorkspace();
    expect(open(home).index.updated).toBeGreaterThan(5);
    expect(open(home).index.updated).toBe(0);
    writePages(home, { 'beta/style': page('House style', 'beta', 'Beta now writes about quokkas.', 'aliases: [house-style]\n') });
    const wiki = open(home);
    expect(wiki.index.updated).toBe(1);
    expect(wiki.catalog.changed).toEqual(['beta/style']);
    expect(found(home, 'quokkas')).toEqual(['beta/style']);
    expect(found(home, 'sentences')).toEqual([]);
    // The parsed details of the page follow too (title, links), not only the search.
    expect(open(home).find('beta/style')!.links).toEqual([]);
    unlinkSync(path.join(home, 'wiki/beta/style.md'));
    expect(open(home).index.updated).toBe(1);
    expect(found(home, 'quokkas')).toEqual([]);
    expect(open(home).find('house-style')).toBeNull();
  });

  it('writes the big index file again once enough changed pages have gathered, and keeps every change', () => {
    const home = makeWikiWorkspace();
    open(home).index.size;
    const before = readFileSync(derived(home, 'search.idx'), 'utf8');
    const many: Record<string, string> = {};
    for (let i = 0; i < 300; i++) many[`alpha/bulk/page-${i}`] = page(`Bulk ${i}`, 'alpha', `Note number n${i} about wombats.`);
    writePages(home, many);
    const wiki = open(home);
    expect(wiki.index.updated).toBe(300);
    expect(readFileSync(derived(home, 'search.idx'), 'utf8')).not.toBe(before);
    expect(JSON.parse(readFileSync(derived(home, 'search-meta.json'), 'utf8')).pending).toEqual({});
    expect(found(home, 'n299')).toEqual(['alpha/bulk/page-299']);
    expect(open(home).index.query('wombats', { limit: 1000 })).toHaveLength(300);
  });

  it('rebuilds a corrupt or missing index and catalog instead of failing', () => {
    const home = makeWikiWorkspace();
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    writeFileSync(derived(home, 'search.idx'), 'master-wiki-index 4 40\n{"table": {"broken": tr');
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    writeFileSync(derived(home, 'search-meta.json'), 'not json');
    writeFileSync(derived(home, 'manifest.bin'), '[]');
    for (const part of readdirSync(derived(home, 'pages'))) writeFileSync(derived(home, 'pages', part), '{');
    const wiki = open(home);
    expect(wiki.find('house-style')?.name).toBe('beta/style');
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    rmSync(derived(home), { recursive: true });
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    expect(WikiIndex.peekHashes(workspacePaths(home).data).size).toBe(open(home).catalog.names.size);
  });

  it('writes the index file without the postings of changed pages, and ranks afterwards as an index built afresh', () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 300; i++) many[`alpha/bulk/page-${i}`] = page(`Bulk ${i}`, 'alpha', `Note n${i} about wombats ${'and otters '.repeat(i % 4)}.`);
    const home = makeWikiWorkspace(many);
    open(home).index.size;
    // Every page changed: the index file is written again, its old versions discarded.
    for (let i = 0; i < 300; i++) many[`alpha/bulk/page-${i}`] = page(`Bulk ${i}`, 'alpha', `Note n${i} about wombats ${'otters '.repeat(i % 5)}now.`);
    writePages(home, many);
    expect(open(home).index.updated).toBe(300);
    expect(readFileSync(derived(home, 'search.idx'), 'latin1').slice(0, 1000)).toContain('"dirtCount":0');
    const ranked = (words: string) => {
      const hits = open(home).index.query(words, { limit: 400 });
      return hits.map((h) => `${h.score} ${h.page}`).sort();
    };
    const queries = ['wombats', 'otters now', 'n1', 'note', 'and'];
    const after = queries.map(ranked);
    rmSync(derived(home, 'search.idx'));
    rmSync(derived(home, 'search-meta.json'));
    expect(queries.map(ranked)).toEqual(after);
  });

  it('rebuilds an index file of the previous format, or one cut short, instead of misreading it', () => {
    const home = makeWikiWorkspace();
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    // Well-formed in the format before (JSON columns), standing for a page that does not exist.
    const shard = JSON.stringify([['phantomword', [0, [0, 1], 2, [0, 1]]]]);
    const hashes = JSON.stringify({ 'ghost/page': 'x' });
    const table = { documentCount: 1, nextId: 1, fieldIds: { title: 0, tags: 1, body: 2, path: 3 }, averageFieldLength: [1, 0, 1, 2], dirtCount: 0, ids: [0, 'ghost/page'], lengths: [0, 1, 0, 1, 2] };
    const head = JSON.stringify({ table, shards: { ph: [0, shard.length] }, hashes: [shard.length, hashes.length] });
    writeFileSync(derived(home, 'search.idx'), `master-wiki-index 4 ${head.length}\n${head}${shard}${hashes}`);
    expect(found(home, 'phantomword')).toEqual([]);
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    const rebuilt = readFileSync(derived(home, 'search.idx'));
    expect(rebuilt.toString('latin1', 0, 20)).toBe('master-wiki-index 6 ');
    expect(WikiIndex.peekHashes(workspacePaths(home).data).has('ghost/page')).toBe(false);
    // This format cut short: built again once a read reaches the missing part (a word found nowhere reads it all).
    for (const keep of [0.9, 0.5, 0.1]) {
      writeFileSync(derived(home, 'search.idx'), rebuilt.subarray(0, Math.floor(rebuilt.length * keep)));
      expect(found(home, 'qqqqqqqqqq')).toEqual([]);
      expect(readFileSync(derived(home, 'search.idx')).length).toBe(rebuilt.length);
      expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    }
  });

  it('a view restricted to some pages reads only their folders and never resolves another', () => {
    const home = makeWikiWorkspace();
    open(home);
    rmSync(derived(home, 'pages', `${encodeURIComponent('vault')}.json`));
    const alpha = open(home).restrictedTo((name) => name.startsWith('alpha/'));
    expect([...alpha.catalog.pages.keys()]).toEqual(['alpha/deploy/checklist', 'alpha/notes', 'alpha/release-process']);
    expect(alpha.find('vault/strategy')).toBeNull();
    expect(alpha.search('release').every((h) => h.page.startsWith('alpha/'))).toBe(true);
  });

  it("a fresh process reading only its words' shards ranks exactly as the whole index does, through every fallback", () => {
    const extra: Record<string, string> = {};
    for (let i = 0; i < 40; i++) extra[`alpha/many/p${i}`] = page(`Page ${i} deploy`, 'alpha', `release r${i} deploy ${'rollback '.repeat(i % 5)}changelog x`);
    const home = makeWikiWorkspace(extra);
    // Built in this process by MiniSearch itself: the file must give back the same scores (ties may come in another order).
    const built = open(home).index;
    const scores = (hits: SearchHit[]) => hits.map((h) => `${h.score} ${h.page} ${h.title}`).sort();
    // A fresh open loads part of the index for its first query; a word found nowhere makes it load the whole (for near misses).
    const whole = open(home).index;
    expect(whole.query('qqqqqqqqqq')).toEqual([]);
    for (const words of ['deploy', 'release deploy', 'r1', 'rollback changelog', 'x', 'deplyo', 'zzz deploy', 'house style']) {
      const part = open(home).index.query(words, { limit: 50 });
      expect(part, words).toEqual(whole.query(words, { limit: 50 }));
      expect(scores(part), words).toEqual(scores(built.query(words, { limit: 50 })));
    }
    // Changes waiting beside the index file count the same in a partial load.
    writePages(home, { 'alpha/many/p3': page('Page 3 deploy', 'alpha', 'release moved elsewhere') });
    unlinkSync(path.join(home, 'wiki/alpha/many/p4.md'));
    const after = open(home).index.query('release deploy', { limit: 50 });
    expect(after.map((h) => h.page)).not.toContain('alpha/many/p4');
    expect(after.find((h) => h.page === 'alpha/many/p3')).toBeDefined();
    const wholeAfter = open(home).index;
    expect(wholeAfter.query('qqqqqqqqqq')).toEqual([]);
    expect(after).toEqual(wholeAfter.query('release deploy', { limit: 50 }));
  });

  it('a search that met changes waiting folds them into the index file, so the next process reads it clean', () => {
    const home = makeWikiWorkspace();
    void open(home).index.size;
    const pending = () => Object.keys(JSON.parse(readFileSync(derived(home, 'search-meta.json'), 'utf8')).pending);
    const indexHas = (term: string) => readIndexFile(derived(home, 'search.idx'), {})!.terms.some(([t]) => t === term);
    writePages(home, { 'beta/style': page('House style', 'beta', 'Beta now writes about wombats.', 'aliases: [house-style]\n') });
    const wiki = open(home);
    expect(wiki.index.updated).toBe(1);
    expect(pending()).toEqual(['beta/style']);
    expect(indexHas('wombats')).toBe(false);
    expect(wiki.index.query('wombats').map((h) => h.page)).toEqual(['beta/style']);
    wiki.index.settle();
    expect(pending()).toEqual([]);
    expect(indexHas('wombats')).toBe(true);
    expect(found(home, 'wombats')).toEqual(['beta/style']);
    expect(found(home, 'sentences')).toEqual([]);
    // Nothing waiting: nothing written.
    const before = readFileSync(derived(home, 'search.idx'));
    open(home).index.settle();
    expect(readFileSync(derived(home, 'search.idx')).equals(before)).toBe(true);
  });

  it('brings a page the caller names into step without looking at the others, and a later full look still finds hand edits', () => {
    const home = makeWikiWorkspace();
    const paths = workspacePaths(home);
    open(home).index.size;
    writePages(home, { 'beta/style': page('House style', 'beta', 'Beta now writes about quokkas.', 'aliases: [house-style]\n') });
    // Edited by hand, not named: a named look does not see it...
    writePages(home, { 'global/lonely': page('Lonely', 'global', 'Wombats live here now.') });
    const named = Wiki.open(paths, { changed: ['beta/style'] });
    expect(named.catalog.changed).toEqual(['beta/style']);
    expect(named.index.updated).toBe(1);
    expect(named.index.query('quokkas').map((h) => h.page)).toEqual(['beta/style']);
    // ...the next full look does, and the index follows it too.
    const full = open(home);
    expect(full.catalog.changed).toEqual(['global/lonely']);
    expect(full.index.updated).toBe(1);
    expect(found(home, 'wombats')).toEqual(['global/lonely']);
    // A named page that is gone is dropped; a new one is added in name order.
    unlinkSync(path.join(home, 'wiki/beta/style.md'));
    writePages(home, { 'alpha/aardvark': page('Aardvark', 'alpha', 'An aardvark page.') });
    const both = Wiki.open(paths, { changed: ['beta/style', 'alpha/aardvark'] });
    expect(both.catalog.removed).toEqual(['beta/style']);
    expect([...both.catalog.names.keys()]).toEqual([...open(home).catalog.names.keys()]);
    expect([...both.catalog.names.keys()]).toEqual([...both.catalog.names.keys()].sort());
    expect(found(home, 'quokkas')).toEqual([]);
    expect(found(home, 'aardvark')).toEqual(['alpha/aardvark']);
  });

  it('catches up with pages a look without the index took in (a list between two searches)', () => {
    const home = makeWikiWorkspace();
    open(home).index.size;
    writePages(home, { 'beta/style': page('House style', 'beta', 'Beta now writes about quokkas.', 'aliases: [house-style]\n') });
    // `wiki list` looks at the pages and saves the manifest, but never opens the index.
    expect(open(home).catalog.changed).toEqual(['beta/style']);
    const wiki = open(home);
    expect(wiki.catalog.changed).toEqual([]);
    expect(wiki.index.updated).toBe(1);
    expect(found(home, 'quokkas')).toEqual(['beta/style']);
    expect(WikiIndex.peekHashes(workspacePaths(home).data).get('beta/style')).toBe(open(home).catalog.hashOf('beta/style'));
  });

  it('scores boosted fields and discarded pages exactly as MiniSearch does', () => {
    const words = ['release', 'relay', 'deploy', 'deployment', 'rel', 'gate'];
    const options0 = { fields: ['title', 'text'], searchOptions: { prefix: true, boost: { title: 3 } }, autoVacuum: false };
    const make = (discard = true) => {
      const search = new StoredSearch<{ id: string; title: string; text: string }>(options0);
      for (let i = 0; i < 200; i++) {
        const pick = (n: number) => Array.from({ length: n }, (_, j) => words[(i * (j + 3) + j) % words.length]).join(' ');
        search.add({ id: `p${i}`, title: pick(1 + (i % 2)), text: pick(2 + (i % 9)) });
      }
      // Discarded pages leave their postings behind until a search drops them, which changes the words' weights.
      if (discard) for (let i = 0; i < 200; i += 7) search.discard(`p${i}`);
      return search;
    };
    // Read back from the file, the columns are scored as they are (and the discarded pages' postings, kept by the
    // file, send a query through MiniSearch's maps): the same as MiniSearch's own search of what was read.
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wiki-idx-')), 'search.idx');
    const read = (discard: boolean) => {
      const search = make(discard);
      writeIndexFile(file, search as StoredSearch<unknown>, new Map());
      const got = readIndexFile(file, {})!;
      return StoredSearch.fromColumns<{ id: string; title: string; text: string }>(options0, got.table, got.terms);
    };
    for (const discard of [false, true]) {
      // Queried again and again: a search drops the discarded pages' postings it meets, so the twin is queried alike.
      const fromFile = read(discard);
      const twin = read(discard);
      for (const query of ['release', 'rel', 'release deploy', 'rel dep gate', 'deploy deploy', 'nothing']) {
        for (const options of [{}, { combineWith: 'AND' as const }, { combineWith: 'OR' as const }, { fields: ['text'] }]) {
          for (const limit of [1, 10, 1000]) {
            expect(make(discard).top(query, options, limit), query).toEqual(make(discard).search(query, options).slice(0, limit));
            expect(read(discard).top(query, options, limit), query).toEqual(read(discard).search(query, options).slice(0, limit));
            expect(fromFile.top(query, options, limit), query).toEqual(twin.search(query, options).slice(0, limit));
          }
        }
      }
    }
  });

  it('reads back an index whose lengths and counts need more than 16 bits, and one whose ids are not all strings', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'wiki-idx-')), 'search.idx');
    for (const ids of [(i: number) => `p${i}`, (i: number) => (i % 2 ? i : `p${i}`)]) {
      const options0 = { fields: ['text'], searchOptions: { prefix: true } };
      const search = new StoredSearch<{ id: string | number; text: string }>(options0);
      // 70,000 words: a length and a frequency beyond 65,535.
      search.add({ id: ids(0), text: 'huge '.repeat(70_000) });
      for (let i = 1; i < 50; i++) search.add({ id: ids(i), text: `huge small s${i} ${'more '.repeat(i)}` });
      writeIndexFile(file, search as StoredSearch<unknown>, new Map());
      // The file took the 32-bit form (and JSON ids for numbers), which small wikis never need.
      const head = readFileSync(file, 'latin1').slice(0, 4000);
      expect(head).toContain('"narrow":false');
      expect(head).toContain(`"idsAsJson":${typeof ids(1) === 'number'}`);
      const load = () => {
        const got = readIndexFile(file, {})!;
        return StoredSearch.fromColumns<{ id: string | number; text: string }>(options0, got.table, got.terms);
      };
      const read = load();
      const twin = load();
      // The same scores as the index written (ties among prefix terms may come in another order: the tree is filled anew).
      const scores = (hits: Array<{ id: unknown; score: number }>) => hits.map((h) => `${h.score} ${h.id}`).sort();
      for (const query of ['huge', 'huge small', 'more', 's1', 'h']) {
        expect(read.top(query, {}, 20), query).toEqual(twin.search(query).slice(0, 20));
        expect(scores(read.top(query, {}, 100)), query).toEqual(scores(search.search(query)));
      }
      expect(read.has(ids(3))).toBe(true);
    }
  });

  it('keeps page names front-coded and gives each back as it was, long, shared or not ASCII', () => {
    const long = `umano/${'deep/'.repeat(80)}`;
    const alpha = Array.from({ length: 37 }, (_, i) => `alpha/topic-${Math.floor(i / 13)}/page-${i}`);
    const names = [...alpha, `${long}a`, `${long}b`, `${long}${'é'.repeat(200)}`, 'ünïcødé/页面', 'ünïcødé/页', '', 'z'];
    for (const list of [names, [], ['only']]) {
      const coded = encodeNames(list);
      const back: string[] = [];
      eachName(coded, list.length, (place, name) => back.push(`${place} ${name}`));
      expect(back).toEqual(list.map((name, place) => `${place} ${name}`));
      expect(list.map((_, place) => nameAt(coded, place))).toEqual(list);
    }
    // Names in name order share most of their bytes.
    expect(encodeNames(alpha).bytes.length).toBeLessThan(Buffer.byteLength(alpha.join('')) / 2);
  });

  it("scores columns still holding a discarded page's postings through MiniSearch's maps, as MiniSearch does", () => {
    const options0 = { fields: ['text'], searchOptions: { prefix: true }, autoVacuum: false };
    const make = () => {
      const search = new StoredSearch<{ id: string; text: string }>(options0);
      for (let i = 0; i < 60; i++) search.add({ id: `p${i}`, text: `alpha ${i % 3 ? 'beta' : 'gamma'} ${'alps '.repeat(i % 4)}` });
      for (let i = 0; i < 60; i += 9) search.discard(`p${i}`);
      return search;
    };
    // Not vacuumed (the file is written vacuumed): the columns as they stand.
    const fromColumns = () => {
      const { table, shards } = make().toColumns();
      const terms = [...shards.values()].flatMap(({ terms, data }) => terms.map(([term, fields]) => [term, { data, fields }] as [string, { data: Uint32Array; fields: number[] }]));
      return StoredSearch.fromColumns<{ id: string; text: string }>(options0, table, terms);
    };
    for (const query of ['alpha', 'al', 'beta alps', 'gamma']) {
      for (const limit of [1, 5, 100]) expect(fromColumns().top(query, {}, limit), query).toEqual(fromColumns().search(query).slice(0, limit));
    }
  });

  it("keeps a query's best hits exactly as MiniSearch's own search and sort would, ties and filters included", () => {
    const search = new StoredSearch<{ id: string; text: string }>({ fields: ['text'], searchOptions: { prefix: true } });
    const words = ['alpha', 'beta', 'gamma', 'alps', 'delta'];
    for (let i = 0; i < 300; i++) search.add({ id: `p${i}`, text: Array.from({ length: 1 + (i % 7) }, (_, j) => words[(i * j + i) % words.length]).join(' ') });
    for (const query of ['alpha', 'al', 'alpha beta', 'gamma delta', 'zeta']) {
      for (const options of [{}, { combineWith: 'AND' as const }, { fuzzy: 0.2 }, { filter: (r: { id: string }) => Number(r.id.slice(1)) % 3 === 0 }]) {
        for (const limit of [1, 10, 1000]) expect(search.top(query, options, limit), query).toEqual(search.search(query, options).slice(0, limit));
      }
    }
  });
});
