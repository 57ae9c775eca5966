import { readFileSync } from 'node:fs';
import path from 'node:path';
import MiniSearch, { type SearchResult } from 'minisearch';
import { pageFile, wikiDataDir, writeAtomic, type Catalog, type CatalogEntry } from './catalog.js';

const INDEX_VERSION = 1;

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
  'a an and are as at be but by for from has have in into is it its of on or so that the their then there these this to was were will with when which who why how what not no do does done can should must we you they our your i'.split(' '),
);

function processTerm(term: string): string | null {
  const lower = term.toLowerCase();
  return STOP_WORDS.has(lower) ? null : lower;
}

const OPTIONS = {
  processTerm,
  fields: ['title', 'tags', 'body', 'path'],
  storeFields: ['title'],
  searchOptions: { boost: { title: 3, tags: 2, path: 1.5 }, prefix: true, fuzzy: 0.15, combineWith: 'AND' as const },
};

interface StoredIndex {
  version: number;
  /** The page hash each indexed document was built from. */
  hashes: Record<string, string>;
  index: unknown;
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

function documentOf(page: CatalogEntry, text: string): IndexedPage {
  return { id: page.name, title: page.title, tags: page.tags.join(' '), body: bodyOf(text), path: page.name.replace(/[/_-]+/g, ' ') };
}

/**
 * The wiki's full-text index (MiniSearch), persisted under `.master/wiki/`
 * and brought in step with the catalog: only pages whose content hash
 * changed are re-indexed, removed pages are dropped.
 */
export class WikiIndex {
  private constructor(
    private readonly search: MiniSearch<IndexedPage>,
    private readonly hashes: Map<string, string>,
    private readonly catalog: Catalog,
    /** Pages re-indexed by the last sync (for tests and the bench). */
    readonly updated: number,
  ) {}

  static indexFile(dataDir: string): string {
    return path.join(wikiDataDir(dataDir), 'search.json');
  }

  /** The page hashes the stored index was built from, without loading the index itself (the doctor's check). */
  static peekHashes(dataDir: string): Map<string, string> {
    try {
      const stored = JSON.parse(readFileSync(WikiIndex.indexFile(dataDir), 'utf8')) as StoredIndex;
      return new Map(Object.entries(stored.hashes ?? {}));
    } catch {
      return new Map();
    }
  }

  /** Loads the stored index and updates it to the catalog; saves it when anything changed. */
  static open(catalog: Catalog, dataDir: string): WikiIndex {
    const file = WikiIndex.indexFile(dataDir);
    let search: MiniSearch<IndexedPage> | null = null;
    let hashes = new Map<string, string>();
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredIndex;
      if (stored.version === INDEX_VERSION) {
        search = MiniSearch.loadJS<IndexedPage>(stored.index as Parameters<typeof MiniSearch.loadJS>[0], OPTIONS);
        hashes = new Map(Object.entries(stored.hashes));
      }
    } catch {
      // Missing or unreadable: built afresh below.
    }
    if (!search) {
      search = new MiniSearch<IndexedPage>(OPTIONS);
      hashes = new Map();
    }
    let updated = 0;
    for (const [name, known] of hashes) {
      if (catalog.pages.has(name)) continue;
      search.discard(name);
      hashes.delete(name);
      updated++;
    }
    for (const page of catalog.pages.values()) {
      if (hashes.get(page.name) === page.hash) continue;
      let text;
      try {
        text = readFileSync(pageFile(catalog.root, page.name), 'utf8');
      } catch {
        continue;
      }
      if (hashes.has(page.name)) search.discard(page.name);
      search.add(documentOf(page, text));
      hashes.set(page.name, page.hash);
      updated++;
    }
    if (updated > 0) {
      try {
        writeAtomic(file, JSON.stringify({ version: INDEX_VERSION, hashes: Object.fromEntries(hashes), index: search.toJSON() } satisfies StoredIndex));
      } catch {
        // Derived data: rebuilt next time.
      }
    }
    return new WikiIndex(search, hashes, catalog, updated);
  }

  get size(): number {
    return this.search.documentCount;
  }

  /** Hashes of what is indexed, by page (the doctor compares them with the files). */
  indexedHashes(): ReadonlyMap<string, string> {
    return this.hashes;
  }

  /** The best pages for a query, best first, each with a snippet around the first match. */
  query(text: string, options: SearchOptions = {}): SearchHit[] {
    const limit = options.limit ?? 10;
    const filter = options.filter;
    let results: SearchResult[] = this.search.search(text, filter ? { filter: (r) => filter(String(r.id)) } : {});
    // Nothing has every word: fall back to pages with any of them, ranked the same way.
    if (results.length === 0) results = this.search.search(text, { combineWith: 'OR', ...(filter ? { filter: (r) => filter(String(r.id)) } : {}) });
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
