import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { loadCatalog, pageFile, type Catalog, type CatalogEntry, type CatalogOptions } from './catalog.js';
import { findPage } from './links.js';
import { WikiIndex } from './search.js';

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
