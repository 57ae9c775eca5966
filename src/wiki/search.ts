import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import MiniSearch, { type SearchResult } from 'minisearch';
import { pageFile, wikiDataDir, writeAtomic, type Catalog } from './catalog.js';
import { foldPending } from './fold.js';
import { readIndexFile, writeColumns, writeIndexFile } from './indexFile.js';
import { shardsFor } from './shards.js';
import { StoredSearch } from './storedSearch.js';
import type { PageInfo } from './page.js';

const INDEX_VERSION = 5;

interface IndexedPage {
  id: string;
  title: string;
  tags: string;
  body: string;
  /** The page name's words, so `release process` finds `umano/release-process`. */
  path: string;
}

/** Words too common to tell pages apart (a ticket's whole text is a query for its prompt's pages). */
const STOP_WORDS = new Set(
  'a an and are as at be but by for from has have in into is it its of on or so that the their then there these this to was were will with when which who why how what not no do does done can should must we you they our your i'.split(
    ' ',
  ),
);

function processTerm(term: string): string | null {
  const lower = term.toLowerCase();
  return STOP_WORDS.has(lower) ? null : lower;
}

const OPTIONS = {
  processTerm,
  fields: ['title', 'tags', 'body', 'path'],
  // No stored fields: a hit's title comes from the catalog, so a query need not load 10,000 titles for ten.
  storeFields: [],
  // Fuzzy matching costs more than the rest of a search on a big wiki: it is tried only when the words as typed find nothing.
  searchOptions: { boost: { title: 3, tags: 2, path: 1.5 }, prefix: true, combineWith: 'AND' as const },
  // Vacuuming would run in the background of a one-query command; a discarded page is skipped by searches anyway.
  autoVacuum: false,
};

const tokenize = MiniSearch.getDefault('tokenize') as (text: string) => string[];

/** A query's words as the index sees them (MiniSearch tokenizes and processes a query as it does a document). */
function queryTerms(text: string): string[] {
  return tokenize(text)
    .map(processTerm)
    .filter((t): t is string => !!t);
}

/** Hashes with the pending changes applied. */
function withPending(hashes: Map<string, string>, pending: ReadonlyMap<string, Pending>): Map<string, string> {
  for (const [name, entry] of pending) {
    if (entry) hashes.set(name, entry.hash);
    else hashes.delete(name);
  }
  return hashes;
}
const FUZZY = 0.15;

/**
 * Changed pages wait in the meta file, beside the big index, until this many
 * have gathered: then the index is loaded, brought up to date and saved once.
 */
const PENDING_LIMIT = 256;

/**
 * How pending changes reach the index file: folded in at the file's columns
 * (fold.ts), or through MiniSearch's maps (loaded, changed, written), which
 * the fold must match byte for byte: kept callable for the test that checks it.
 */
export type FoldPath = 'columns' | 'maps';

/** A page changed since the index file was written: its hash and document, or null when it was removed. */
type Pending = { hash: string; doc: IndexedPage } | null;

/**
 * What a process needs to know of the index without loading it: the
 * catalog manifest it is in step with, how many pages it holds, and the
 * pages changed since the index file was last written.
 */
interface IndexMeta {
  version: number;
  catalog: string;
  count: number;
  pending: Record<string, Pending>;
}

export interface SearchHit {
  page: string;
  title: string;
  score: number;
  snippet: string;
}

export interface SearchOptions {
  /** Only pages this accepts (a brand filter, an agent's silo visibility). */
  filter?: (page: string) => boolean;
  limit?: number;
}

/** The text after the frontmatter block (the catalog parsed the frontmatter already; this only needs to skip it). */
export function bodyOf(text: string): string {
  const match = /^\uFEFF?---[ \t]*\r?\n[\s\S]*?\r?\n---[ \t]*(\r?\n|$)/.exec(text);
  return match ? text.slice(match[0].length) : text;
}

function documentOf(page: PageInfo, text: string): IndexedPage {
  return { id: page.name, title: page.title, tags: page.tags.join(' '), body: bodyOf(text), path: page.name.replace(/[/_-]+/g, ' ') };
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * The wiki's full-text index (MiniSearch), persisted under `.master/wiki/`
 * and brought in step with the catalog: only pages whose content changed
 * are re-indexed, removed pages are dropped. It is kept in two files:
 * `search.idx`, the index itself (see indexFile.ts: a query reads only the
 * shards of its words), and `search-meta.json`, small: the catalog manifest
 * it is in step with and the pages changed since the index file was
 * written. Opening reads only the meta file and applies the catalog's own
 * list of changes (the page hashes are compared only when the index fell
 * behind some other look); a changed page is added to the meta file (so a
 * change costs a small write, not a rewrite of the index), and the index
 * file is rewritten when enough of them gathered.
 */
export class WikiIndex {
  private loaded: StoredSearch<IndexedPage> | null = null;
  /** Whether the loaded MiniSearch holds every shard (or only those of one query's words). */
  private whole = false;
  /** The page hashes the index stands for, read only when needed. */
  private hashes: Map<string, string> | null = null;
  /** How the last write of the index file took the pending changes in (for tests). */
  folded: FoldPath | null = null;

  private constructor(
    private readonly catalog: Catalog,
    private readonly dataDir: string,
    private pending: Map<string, Pending>,
    private count: number,
    /** Pages re-indexed by the last sync (for tests and the bench). */
    readonly updated: number,
    built: { search: StoredSearch<IndexedPage>; hashes: Map<string, string> } | null,
  ) {
    if (built) {
      this.loaded = built.search;
      this.whole = true;
      this.hashes = built.hashes;
    }
  }

  static indexFile(dataDir: string): string {
    return path.join(wikiDataDir(dataDir), 'search.idx');
  }

  static metaFile(dataDir: string): string {
    return path.join(wikiDataDir(dataDir), 'search-meta.json');
  }

  private static readMeta(dataDir: string): IndexMeta | null {
    const meta = readJson<IndexMeta>(WikiIndex.metaFile(dataDir));
    const usable = meta && meta.version === INDEX_VERSION && typeof meta.catalog === 'string' && typeof meta.count === 'number' && typeof meta.pending === 'object' && meta.pending !== null;
    return usable ? meta : null;
  }

  /** The page hashes the stored index stands for, without loading the index itself (the doctor's check). */
  static peekHashes(dataDir: string): Map<string, string> {
    const meta = WikiIndex.readMeta(dataDir);
    const stored = readIndexFile(WikiIndex.indexFile(dataDir), { terms: false, hashes: true });
    if (!meta || !stored?.hashes) return new Map();
    return withPending(stored.hashes, new Map(Object.entries(meta.pending)));
  }

  /** Reads what the stored index stands for and brings it in step with the catalog; saves when anything changed. */
  static open(catalog: Catalog, dataDir: string): WikiIndex {
    const meta = WikiIndex.readMeta(dataDir);
    if (!meta || !existsSync(WikiIndex.indexFile(dataDir))) return WikiIndex.rebuilt(catalog, dataDir);
    const pending = new Map(Object.entries(meta.pending));
    let count = meta.count;
    let updated = 0;
    const change = (name: string, doc: Pending) => {
      pending.set(name, doc);
      updated++;
    };
    if (meta.catalog === catalog.id) {
      // In step already: nothing changed since the last look, or that look brought the index along.
    } else if (meta.catalog === catalog.previousId) {
      // In step with the manifest this look started from: the look's own changes are all there is to apply.
      for (const name of catalog.removed) change(name, null);
      for (const name of catalog.changed) {
        const doc = WikiIndex.document(catalog, name);
        if (doc) change(name, { hash: catalog.hashOf(name)!, doc });
      }
      count = catalog.count;
    } else {
      // Behind some other look (or a look that could not write): compare every page's hash.
      const stored = readIndexFile(WikiIndex.indexFile(dataDir), { terms: false, hashes: true });
      if (!stored?.hashes) return WikiIndex.rebuilt(catalog, dataDir);
      const hashes = withPending(stored.hashes, pending);
      for (const name of hashes.keys()) if (!catalog.has(name)) change(name, null);
      for (const [name, stamp] of catalog.names) {
        if (hashes.get(name) === stamp.hash) continue;
        const doc = WikiIndex.document(catalog, name);
        if (doc) change(name, { hash: stamp.hash, doc });
      }
      count = catalog.count;
    }
    const index = new WikiIndex(catalog, dataDir, pending, count, updated, null);
    if (meta.catalog !== catalog.id) index.save(pending.size > PENDING_LIMIT);
    return index;
  }

  /** Missing, old or corrupt: built afresh from every page. */
  private static rebuilt(catalog: Catalog, dataDir: string): WikiIndex {
    const built = WikiIndex.build(catalog);
    const index = new WikiIndex(catalog, dataDir, new Map(), built.hashes.size, built.hashes.size, built);
    index.save(true);
    return index;
  }

  private static document(catalog: Catalog, name: string): IndexedPage | null {
    const entry = catalog.entry(name);
    if (!entry) return null;
    try {
      return documentOf(entry, catalog.text(name));
    } catch {
      return null;
    }
  }

  private static build(catalog: Catalog): { search: StoredSearch<IndexedPage>; hashes: Map<string, string> } {
    const search = new StoredSearch<IndexedPage>(OPTIONS);
    const hashes = new Map<string, string>();
    for (const [name, stamp] of catalog.names) {
      const doc = WikiIndex.document(catalog, name);
      if (!doc) continue;
      search.add(doc);
      hashes.set(name, stamp.hash);
    }
    return { search, hashes };
  }

  /**
   * The index with at least the shards `want` accepts (all without it),
   * with the pending pages applied. A process loads part of it once (a
   * command's one query); a second query that needs more loads it whole.
   */
  private searchFor(want?: (key: string) => boolean): StoredSearch<IndexedPage> {
    if (this.loaded && this.whole) return this.loaded;
    const partial = want && !this.loaded;
    const read = readIndexFile(WikiIndex.indexFile(this.dataDir), { ...(partial ? { want } : {}), hashes: !partial && !this.hashes });
    let search: StoredSearch<IndexedPage> | null = null;
    if (read) {
      try {
        search = StoredSearch.fromColumns<IndexedPage>(OPTIONS, read.table, read.terms);
      } catch {
        search = null;
      }
    }
    if (!search) {
      // Unreadable: built again from the pages, and saved.
      const built = WikiIndex.build(this.catalog);
      this.hashes = built.hashes;
      this.pending = new Map();
      this.count = built.hashes.size;
      this.loaded = built.search;
      this.whole = true;
      this.save(true);
      return built.search;
    }
    if (read!.hashes) this.hashes = withPending(read!.hashes, this.pending);
    for (const [name, entry] of this.pending) {
      if (search.has(name)) search.discard(name);
      if (entry) search.add(entry.doc);
    }
    this.loaded = search;
    this.whole = !partial;
    return search;
  }

  /** Writes the meta file, and with `whole` the index file too (then nothing is pending any more). */
  private save(whole: boolean, how: FoldPath = 'columns'): void {
    try {
      if (whole) {
        const file = WikiIndex.indexFile(this.dataDir);
        // Loaded whole already, MiniSearch's maps are built: writing them costs no more. Else the changes are folded in at
        // the columns (see fold.ts), unless the file holds what that does not handle.
        const folded = how === 'columns' && !(this.loaded && this.whole) ? foldPending(file, OPTIONS, this.pending, !this.hashes) : null;
        this.folded = folded ? 'columns' : 'maps';
        if (folded) {
          this.hashes ??= withPending(folded.hashes ?? new Map(), this.pending);
          writeColumns(file, folded.table, folded.shards, this.hashes);
        } else {
          const search = this.searchFor();
          writeIndexFile(file, search as StoredSearch<unknown>, this.hashes ?? new Map());
        }
        // The one-file index of earlier versions, which a query had to load whole.
        rmSync(path.join(wikiDataDir(this.dataDir), 'search.json'), { force: true });
        this.pending = new Map();
      }
      const meta: IndexMeta = { version: INDEX_VERSION, catalog: this.catalog.id, count: this.count, pending: Object.fromEntries(this.pending) };
      writeAtomic(WikiIndex.metaFile(this.dataDir), JSON.stringify(meta));
    } catch {
      // Derived data: rebuilt next time.
    }
  }

  get size(): number {
    return this.count;
  }

  /**
   * Writes the pending changes into the index file, when there are any. While
   * a change is pending, every process that searches must build MiniSearch's
   * maps to apply it (a fifth more for a search of 10,000 pages); a command
   * that has answered its query calls this so that the next one reads the
   * file clean, paying the rewrite once. The changes are folded in at the
   * file's columns (fold.ts), not through MiniSearch's maps of every term
   * (`how: 'maps'`, the path the fold must match byte for byte, is kept for
   * the test that checks it).
   */
  settle(how: FoldPath = 'columns'): void {
    if (this.pending.size > 0) this.save(true, how);
  }

  /** The best pages for a query, best first, each with a snippet around the first match. */
  query(text: string, options: SearchOptions = {}): SearchHit[] {
    const limit = options.limit ?? 10;
    const filter = options.filter;
    const only = filter ? { filter: (r: SearchResult) => filter(String(r.id)) } : {};
    let results: SearchResult[] = this.searchFor(shardsFor(queryTerms(text))).top(text, only, limit);
    // Nothing has every word as typed: allow near misses, then pages with any of the words, ranked the same way
    // (a near miss may start anywhere: these need the whole index).
    if (results.length === 0) results = this.searchFor().top(text, { fuzzy: FUZZY, ...only }, limit);
    if (results.length === 0) results = this.searchFor().top(text, { fuzzy: FUZZY, combineWith: 'OR', ...only }, limit);
    return results.map((r) => ({
      page: String(r.id),
      title: this.catalog.entry(String(r.id))?.title ?? String(r.id),
      score: Math.round(r.score * 1000) / 1000,
      snippet: this.snippet(String(r.id), r.terms),
    }));
  }

  private snippet(name: string, terms: string[]): string {
    let body: string;
    try {
      body = bodyOf(readFileSync(pageFile(this.catalog.root, name), 'utf8'));
    } catch {
      return '';
    }
    const flat = body.replace(/\s+/g, ' ').trim();
    const lower = flat.toLowerCase();
    let at = -1;
    for (const term of terms) {
      const i = lower.indexOf(term.toLowerCase());
      if (i >= 0 && (at < 0 || i < at)) at = i;
    }
    const start = Math.max(0, at - 60);
    const cut = flat.slice(start, start + 200);
    return `${start > 0 ? '…' : ''}${cut}${start + 200 < flat.length ? '…' : ''}`;
  }
}
