import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pageInfo, type PageInfo } from './page.js';

/** Where the wiki's derived files live (the catalog and the search index): rebuildable, never the source. */
export function wikiDataDir(dataDir: string): string {
  return path.join(dataDir, 'wiki');
}

const CATALOG_VERSION = 1;

export interface CatalogEntry extends PageInfo {
  mtimeMs: number;
  size: number;
}

export interface Catalog {
  /** Pages by name, sorted. */
  pages: Map<string, CatalogEntry>;
  /** Absolute path of the wiki folder. */
  root: string;
  /** Pages (re)parsed and removed by the last refresh. */
  changed: string[];
  removed: string[];
}

interface StoredCatalog {
  version: number;
  pages: CatalogEntry[];
}

/** Every `.md` file under the wiki folder, as page names; dot folders (`.obsidian`, `.trash`) are Obsidian's own. */
export function listPageFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string, prefix: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      // A README at the top says what the folder is; it is no page of any brand.
      if (prefix === '' && entry.name.toLowerCase() === 'readme.md') continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else if (entry.isFile() && entry.name.endsWith('.md')) out.set(`${prefix}${entry.name.slice(0, -3)}`, full);
    }
  };
  walk(root, '');
  return out;
}

function readStored(file: string): Map<string, CatalogEntry> {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredCatalog;
    if (stored.version !== CATALOG_VERSION || !Array.isArray(stored.pages)) return new Map();
    return new Map(stored.pages.map((p) => [p.name, p]));
  } catch {
    return new Map();
  }
}

/** Writes through a temp file and a rename, so a reader never sees half a file. */
export function writeAtomic(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/**
 * The wiki's pages as they are on disk now: a page whose mtime and size are
 * those of the stored catalog is taken from it, any other is read and parsed
 * (its hash tells whether it really changed), so pages edited by hand between
 * sessions are picked up and an unchanged wiki costs one stat per page.
 * The catalog file is rewritten only when something changed; a read-only
 * `.master/` only costs the parsing again next time.
 */
export function loadCatalog(wikiRoot: string, dataDir: string): Catalog {
  const file = path.join(wikiDataDir(dataDir), 'catalog.json');
  const stored = readStored(file);
  const pages = new Map<string, CatalogEntry>();
  const changed: string[] = [];
  let dirty = false;
  const files = listPageFiles(wikiRoot);
  for (const name of [...files.keys()].sort()) {
    const full = files.get(name)!;
    let info;
    try {
      info = statSync(full);
    } catch {
      continue;
    }
    const known = stored.get(name);
    if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) {
      pages.set(name, known);
      continue;
    }
    let text;
    try {
      text = readFileSync(full, 'utf8');
    } catch {
      continue;
    }
    const parsed = pageInfo(name, text);
    pages.set(name, { ...parsed, mtimeMs: info.mtimeMs, size: info.size });
    dirty = true;
    if (!known || known.hash !== parsed.hash) changed.push(name);
  }
  const removed = [...stored.keys()].filter((name) => !pages.has(name));
  if (removed.length) dirty = true;
  if (dirty) {
    try {
      writeAtomic(file, JSON.stringify({ version: CATALOG_VERSION, pages: [...pages.values()] } satisfies StoredCatalog));
    } catch {
      // Derived data: next time it is parsed again.
    }
  }
  return { pages, root: wikiRoot, changed, removed };
}

/** The file of a page (which need not exist yet). */
export function pageFile(wikiRoot: string, name: string): string {
  return path.join(wikiRoot, ...name.split('/')) + '.md';
}
