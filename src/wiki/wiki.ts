import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { loadCatalog, manifestFile, pageFile, wikiDataDir, type Catalog, type CatalogEntry, type CatalogOptions } from './catalog.js';
import { findPage } from './links.js';
import { lookAhead } from './lookAhead.js';
import { MANIFEST_VERSION } from './manifest.js';
import { WikiIndex } from './search.js';

/**
 * From how many pages a one-query command looks at the pages on another
 * thread: starting one costs some 30 ms, the look about 10 ms per thousand pages.
 */
const LOOK_AHEAD_PAGES = 4000;

/** A workspace's wiki: its catalog of pages (always in step with the files) and, when asked, its search index. */
export class Wiki {
  private searchIndex: WikiIndex | null = null;

  private constructor(
    readonly catalog: Catalog,
    private readonly dataDir: string,
    /** When set, the only pages this view shows (an agent's brand and silo wall); the rest do not exist for it. */
    private readonly visible?: (name: string) => boolean,
    private readonly parent?: Wiki,
  ) {}

  /**
   * Reads the wiki folder, re-parsing only pages whose files changed since the
   * last look (a stat of every page). A caller that changed pages itself may
   * name them in `changed`: then only those are looked at.
   */
  static open(paths: Pick<WorkspacePaths, 'wiki' | 'data'>, options: CatalogOptions = {}): Wiki {
    return new Wiki(loadCatalog(paths.wiki, paths.data, options), paths.data);
  }

  /**
   * For a one-query command: the wiki as the manifest has it, at once, while
   * another thread looks at every page's file. `fresh` then says whether
   * that look found every page as the manifest has it; when it did not, the
   * caller opens the wiki with `open` (which finds and applies the changes)
   * and asks again. Results are those of `open`; only the common case of an
   * unchanged wiki gets faster, its look overlapping the query. `threadFrom`:
   * from how many pages the look takes another thread (tests set it low).
   */
  static openAhead(paths: Pick<WorkspacePaths, 'wiki' | 'data'>, options: { threadFrom?: number } = {}): { wiki: Wiki; fresh: Promise<boolean> } {
    // Told that nothing changed, the catalog takes every page as the manifest has it (without a manifest it looks at all).
    const catalog = loadCatalog(paths.wiki, paths.data, { changed: [] });
    if (catalog.previousId === null) return { wiki: new Wiki(catalog, paths.data), fresh: Promise.resolve(true) };
    // A small wiki's look costs less than starting a thread: it is taken here, as `open` does.
    if (catalog.count < (options.threadFrom ?? LOOK_AHEAD_PAGES)) return { wiki: Wiki.open(paths), fresh: Promise.resolve(true) };
    const look = lookAhead(paths.wiki, manifestFile(wikiDataDir(paths.data)), MANIFEST_VERSION);
    return { wiki: new Wiki(catalog, paths.data), fresh: look.verdict.then((v) => v.same && v.id === catalog.previousId) };
  }

  /**
   * The same wiki as a caller that may see only some pages: its catalog holds
   * only those (so resolving a name never reveals another page, not even as
   * an ambiguity), and its searches are filtered alike.
   */
  restrictedTo(visible: (name: string) => boolean): Wiki {
    const parent = this.catalog;
    const names = new Map([...parent.names].filter(([name]) => visible(name)));
    let pages: Map<string, CatalogEntry> | null = null;
    const catalog: Catalog = {
      names,
      count: names.size,
      has: (name) => names.has(name),
      hashOf: (name) => names.get(name)?.hash,
      // Only the visible pages' folders are read.
      get pages() {
        if (pages) return pages;
        pages = new Map();
        for (const name of names.keys()) {
          const entry = parent.entry(name);
          if (entry) pages.set(name, entry);
        }
        return pages;
      },
      entry: (name) => (visible(name) ? parent.entry(name) : undefined),
      text: (name) => parent.text(name),
      root: parent.root,
      changed: parent.changed.filter(visible),
      removed: parent.removed.filter(visible),
      previousId: parent.previousId,
      id: parent.id,
    };
    return new Wiki(catalog, this.dataDir, visible, this);
  }

  /** The search index, brought up to date on first use (a restricted view shares the full wiki's index). */
  get index(): WikiIndex {
    if (this.parent) return this.parent.index;
    this.searchIndex ??= WikiIndex.open(this.catalog, this.dataDir);
    return this.searchIndex;
  }

  /** Search within what this view may see. */
  search(query: string, options: { limit?: number; filter?: (name: string) => boolean } = {}) {
    const { visible } = this;
    const own = options.filter;
    const filter = visible && own ? (n: string) => visible(n) && own(n) : (visible ?? own);
    return this.index.query(query, { ...(options.limit ? { limit: options.limit } : {}), ...(filter ? { filter } : {}) });
  }

  get pages(): CatalogEntry[] {
    return [...this.catalog.pages.values()];
  }

  /** The page a person or an agent named (`umano/release-process`, `release-process`, with or without `.md`), or null. */
  find(query: string): CatalogEntry | null {
    const r = findPage(this.catalog, query);
    return 'page' in r ? this.catalog.pages.get(r.page)! : null;
  }

  /** Like find, but a UserError says what exists when nothing (or more than one page) fits. */
  require(query: string): CatalogEntry {
    const r = findPage(this.catalog, query);
    if ('page' in r) return this.catalog.pages.get(r.page)!;
    if ('ambiguous' in r) throw new UserError(`"${query}" could be ${r.ambiguous.join(', ')}; give the page's path`);
    const near = this.search(query, { limit: 3 }).map((h) => h.page);
    throw new UserError(`no wiki page "${query}"${near.length ? `; did you mean ${near.join(', ')}?` : ''} (\`master wiki list\` shows every page)`);
  }

  text(name: string): string {
    return readFileSync(pageFile(this.catalog.root, name), 'utf8');
  }

  file(name: string): string {
    return pageFile(this.catalog.root, name);
  }
}
