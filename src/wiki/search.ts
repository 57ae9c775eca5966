import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import MiniSearch, { type SearchResult } from 'minisearch';
import { pageFile, wikiDataDir, writeAtomic, type Catalog } from './catalog.js';
import type { PageInfo } from './page.js';

const INDEX_VERSION = 2;

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
  storeFields: ['title'],
  // Fuzzy matching costs more than the rest of a search on a big wiki: it is tried only when the words as typed find nothing.
  searchOptions: { boost: { title: 3, tags: 2, path: 1.5 }, prefix: true, combineWith: 'AND' as const },
};
const FUZZY = 0.15;

/**
 * Changed pages wait in the meta file, beside the big index, until this many
 * have gathered: then the index is loaded, brought up to date and saved once.
 */
const PENDING_LIMIT = 256;

/**
 * What a process needs to know of the index without loading it: the page
 * hashes the index stands for, and the pages changed since the big index
 * file was last written (their documents, or null for a removed page).
 */
interface IndexMeta {
  version: number;
  hashes: Record<string, string>;
  pending: Record<string, IndexedPage | null>;
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
 * and brought in step with the catalog: only pages whose content hash
 * changed are re-indexed, removed pages are dropped. It is kept in two
 * files: `search.json`, the index itself, and `search-meta.json`, the page
 * hashes it stands for plus the pages changed since it was written. Opening
 * reads only the meta file; a changed page is added to it (so a change costs
 * a small write, not a rewrite of the whole index); the index is loaded
 * only for a query, with the pending pages applied, and rewritten when
 * enough of them gathered.
 */
export class WikiIndex {
  private loaded: MiniSearch<IndexedPage> | null = null;

  private constructor(
    private readonly catalog: Catalog,
    private readonly dataDir: string,
    private readonly hashes: Map<string, string>,
    private pending: Map<string, IndexedPage | null>,
    /** Pages re-indexed by the last sync (for tests and the bench). */
    readonly updated: number,
    built: MiniSearch<IndexedPage> | null,
  ) {
    this.loaded = built;
  }

  static indexFile(dataDir: string): string {
    return path.join(wikiDataDir(dataDir), 'search.json');
  }

  static metaFile(dataDir: string): string {
    return path.join(wikiDataDir(dataDir), 'search-meta.json');
  }

  /** The page hashes the stored index stands for, without loading the index itself (the doctor's check). */
  static peekHashes(dataDir: string): Map<string, string> {
    const meta = readJson<IndexMeta>(WikiIndex.metaFile(dataDir));
    return new Map(Object.entries(meta?.hashes ?? {}));
  }

  /** Reads what the stored index stands for and brings it in step with the catalog; saves when anything changed. */
  static open(catalog: Catalog, dataDir: string): WikiIndex {
    const meta = readJson<IndexMeta>(WikiIndex.metaFile(dataDir));
    const usable = meta && meta.version === INDEX_VERSION && typeof meta.hashes === 'object' && typeof meta.pending === 'object' && existsSync(WikiIndex.indexFile(dataDir));
    if (!usable) {
      // Missing, old or corrupt: built afresh from every page.
      const { search, hashes } = WikiIndex.build(catalog);
      const index = new WikiIndex(catalog, dataDir, hashes, new Map(), hashes.size, search);
      index.save(true);
      return index;
    }
    const hashes = new Map<string, string>();
    for (const name in meta.hashes) hashes.set(name, meta.hashes[name]!);
    const pending = new Map(Object.entries(meta.pending));
    let updated = 0;
    for (const name of [...hashes.keys()]) {
      if (catalog.names.has(name)) continue;
      hashes.delete(name);
      pending.set(name, null);
      updated++;
    }
    for (const [name, stamp] of catalog.names) {
      if (hashes.get(name) === stamp.hash) continue;
      const doc = WikiIndex.document(catalog, name);
      if (!doc) continue;
      pending.set(name, doc);
      hashes.set(name, stamp.hash);
      updated++;
    }
    const index = new WikiIndex(catalog, dataDir, hashes, pending, updated, null);
    if (updated > 0) index.save(pending.size > PENDING_LIMIT);
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

  private static build(catalog: Catalog): { search: MiniSearch<IndexedPage>; hashes: Map<string, string> } {
    const search = new MiniSearch<IndexedPage>(OPTIONS);
    const hashes = new Map<string, string>();
    for (const [name, stamp] of catalog.names) {
      const doc = WikiIndex.document(catalog, name);
      if (!doc) continue;
      search.add(doc);
      hashes.set(name, stamp.hash);
    }
    return { search, hashes };
  }

  /** The index itself: loaded on the first query, with the pending pages applied; rebuilt if its file is unreadable. */
  private get search(): MiniSearch<IndexedPage> {
    if (this.loaded) return this.loaded;
    const stored = readJson<{ version: number; index: unknown }>(WikiIndex.indexFile(this.dataDir));
    let search: MiniSearch<IndexedPage> | null = null;
    if (stored?.version === INDEX_VERSION) {
      try {
        search = MiniSearch.loadJS<IndexedPage>(stored.index as Parameters<typeof MiniSearch.loadJS>[0], OPTIONS);
      } catch {
        search = null;
      }
    }
    if (!search) {
      const built = WikiIndex.build(this.catalog);
      this.hashes.clear();
      for (const [name, hash] of built.hashes) this.hashes.set(name, hash);
      this.pending = new Map();
      this.loaded = built.search;
      this.save(true);
      return built.search;
    }
    for (const [name, doc] of this.pending) {
      if (search.has(name)) search.discard(name);
      if (doc) search.add(doc);
    }
    this.loaded = search;
    return search;
  }

  /** Writes the meta file, and with `whole` the index too (then nothing is pending any more). */
  private save(whole: boolean): void {
    try {
      if (whole) {
        const search = this.search;
        writeAtomic(WikiIndex.indexFile(this.dataDir), JSON.stringify({ version: INDEX_VERSION, index: search.toJSON() }));
        this.pending = new Map();
      }
      const meta: IndexMeta = { version: INDEX_VERSION, hashes: Object.fromEntries(this.hashes), pending: Object.fromEntries(this.pending) };
      writeAtomic(WikiIndex.metaFile(this.dataDir), JSON.stringify(meta));
    } catch {
      // Derived data: rebuilt next time.
    }
  }

  get size(): number {
    return this.hashes.size;
  }

  /** Hashes of what is indexed, by page (the doctor compares them with the files). */
  indexedHashes(): ReadonlyMap<string, string> {
    return this.hashes;
  }

  /** The best pages for a query, best first, each with a snippet around the first match. */
  query(text: string, options: SearchOptions = {}): SearchHit[] {
    const limit = options.limit ?? 10;
    const filter = options.filter;
    const only = filter ? { filter: (r: SearchResult) => filter(String(r.id)) } : {};
    let results: SearchResult[] = this.search.search(text, only);
    // Nothing has every word as typed: allow near misses, then pages with any of the words, ranked the same way.
    if (results.length === 0) results = this.search.search(text, { fuzzy: FUZZY, ...only });
    if (results.length === 0) results = this.search.search(text, { fuzzy: FUZZY, combineWith: 'OR', ...only });
    return results.slice(0, limit).map((r) => ({
      page: String(r.id),
      title: String(r.title ?? r.id),
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
