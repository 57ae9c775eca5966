import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pageInfo, type PageInfo } from './page.js';

/** Where the wiki's derived files live (the catalog and the search index): rebuildable, never the source. */
export function wikiDataDir(dataDir: string): string {
  return path.join(dataDir, 'wiki');
}

const CATALOG_VERSION = 2;

export interface CatalogEntry extends PageInfo {
  mtimeMs: number;
  size: number;
}

/** What the manifest knows of a page without its parsed details: enough to tell whether its file changed. */
export interface PageStamp {
  mtimeMs: number;
  size: number;
  hash: string;
}

export interface Catalog {
  /** Every page's stamp by name, sorted: cheap, always loaded. */
  names: ReadonlyMap<string, PageStamp>;
  /** Pages by name, sorted, with everything parsed from them; loaded on first use. */
  pages: Map<string, CatalogEntry>;
  /** One page's details, loading only its folder's part of the catalog. */
  entry(name: string): CatalogEntry | undefined;
  /** A page's text: the one just read if this look parsed the page, else read from its file (throws when it is gone). */
  text(name: string): string;
  /** Absolute path of the wiki folder. */
  root: string;
  /** Pages whose content changed and pages removed since the last look. */
  changed: string[];
  removed: string[];
  /**
   * The manifest this look started from and the one it left (a new id each
   * time the manifest is written): the search index, in step with `previousId`,
   * need only apply `changed` and `removed` to be in step with `id`.
   */
  previousId: string | null;
  id: string;
}

export interface CatalogOptions {
  /**
   * The pages the caller knows it changed (wrote or removed): only these are
   * looked at, every other page is taken as the manifest has it. Cheaper than
   * the stat of every page, and right only when nothing else changed the
   * folder since the last look (an editor's change is found by the next full look).
   */
  changed?: readonly string[];
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
      const full = `${dir}${path.sep}${entry.name}`;
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else if (entry.isFile() && entry.name.endsWith('.md')) out.set(`${prefix}${entry.name.slice(0, -3)}`, full);
    }
  };
  walk(root, '');
  return out;
}

interface FoundPage {
  file: string;
  mtimeMs: number;
  size: number;
}

/** Every page file with its mtime and size, from a walk of the folder and a stat of each file. */
function scanPages(root: string): Map<string, FoundPage> {
  const out = new Map<string, FoundPage>();
  for (const [name, file] of listPageFiles(root)) {
    try {
      const info = statSync(file);
      out.set(name, { file, mtimeMs: info.mtimeMs, size: info.size });
    } catch {
      // Gone since the walk.
    }
  }
  return out;
}

/** Writes through a temp file and a rename, so a reader never sees half a file. */
export function writeAtomic(file: string, text: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

/** The folder part of a page name: pages are kept in one catalog part per folder. */
function folderOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/**
 * The catalog on disk: `manifest.json` holds each page's mtime, size and
 * content hash (one small file, read by every command), and `pages/` one
 * file per wiki folder with what was parsed from its pages (read only by
 * the commands that need titles, links or problems, and only the folders
 * they need). One changed page rewrites the manifest and its folder's part.
 */
class CatalogFiles {
  constructor(private readonly dir: string) {}

  get manifestFile(): string {
    return path.join(this.dir, 'manifest.json');
  }

  partFile(folder: string): string {
    return path.join(this.dir, 'pages', `${encodeURIComponent(folder || '.')}.json`);
  }

  readManifest(): { id: string | null; stamps: Map<string, PageStamp> } {
    const out = new Map<string, PageStamp>();
    try {
      const stored = JSON.parse(readFileSync(this.manifestFile, 'utf8')) as { version: number; id?: string; pages: Record<string, [number, number, string]> };
      if (stored.version !== CATALOG_VERSION || typeof stored.pages !== 'object' || stored.pages === null) return { id: null, stamps: out };
      // A plain loop: this runs on every command, over every page.
      for (const name in stored.pages) {
        const [mtimeMs, size, hash] = stored.pages[name]!;
        out.set(name, { mtimeMs, size, hash });
      }
      return { id: typeof stored.id === 'string' ? stored.id : null, stamps: out };
    } catch {
      return { id: null, stamps: new Map() };
    }
  }

  writeManifest(id: string, stamps: ReadonlyMap<string, PageStamp>): void {
    // The one-file catalog of earlier versions is replaced by this manifest and the folder parts.
    rmSync(path.join(this.dir, 'catalog.json'), { force: true });
    const pages: Record<string, [number, number, string]> = {};
    for (const [name, s] of stamps) pages[name] = [s.mtimeMs, s.size, s.hash];
    writeAtomic(this.manifestFile, JSON.stringify({ version: CATALOG_VERSION, id, pages }));
  }

  readPart(folder: string): Map<string, PageInfo> {
    try {
      const stored = JSON.parse(readFileSync(this.partFile(folder), 'utf8')) as { version: number; pages: PageInfo[] };
      if (stored.version !== CATALOG_VERSION || !Array.isArray(stored.pages)) return new Map();
      return new Map(stored.pages.map((p) => [p.name, p]));
    } catch {
      return new Map();
    }
  }

  writePart(folder: string, pages: Iterable<PageInfo>): void {
    const list = [...pages];
    if (list.length === 0) rmSync(this.partFile(folder), { force: true });
    else writeAtomic(this.partFile(folder), JSON.stringify({ version: CATALOG_VERSION, pages: list }));
  }
}

function readPage(file: string): { text: string; mtimeMs: number; size: number } | null {
  try {
    const info = statSync(file);
    return { text: readFileSync(file, 'utf8'), mtimeMs: info.mtimeMs, size: info.size };
  } catch {
    return null;
  }
}

/**
 * The wiki's pages as they are on disk now: a page whose mtime and size are
 * those of the manifest is taken as it was, any other is read and parsed
 * (its hash tells whether it really changed), so pages edited by hand between
 * sessions are picked up and an unchanged wiki costs one stat per page and
 * one small file. What was parsed from unchanged pages is read only when
 * asked for. A missing or corrupt catalog is rebuilt from the pages; a
 * read-only `.master/` only costs the parsing again next time.
 */
export function loadCatalog(wikiRoot: string, dataDir: string, options: CatalogOptions = {}): Catalog {
  const files = new CatalogFiles(wikiDataDir(dataDir));
  const { id: previousId, stamps: stored } = files.readManifest();
  const stamps = new Map<string, PageStamp>();
  const fresh = new Map<string, PageInfo>();
  // Texts of the pages parsed by this look, kept for the index (which would read them again) until it has used them.
  const texts = new Map<string, string>();
  const changed: string[] = [];
  const named = options.changed !== undefined && previousId !== null;
  const found = named ? namedPages(wikiRoot, stored, options.changed!) : scanPages(wikiRoot);
  // The manifest is written sorted: a named look that added no page keeps its order without sorting again.
  const sorted = [...found.keys()];
  if (!named || sorted.some((name) => !stored.has(name))) sorted.sort();
  for (const name of sorted) {
    const info = found.get(name)!;
    const known = stored.get(name);
    if (known && known.mtimeMs === info.mtimeMs && known.size === info.size) {
      stamps.set(name, known);
      continue;
    }
    const page = readPage(info.file);
    if (!page) continue;
    const parsed = pageInfo(name, page.text);
    fresh.set(name, parsed);
    texts.set(name, page.text);
    stamps.set(name, { mtimeMs: page.mtimeMs, size: page.size, hash: parsed.hash });
    if (!known || known.hash !== parsed.hash) changed.push(name);
  }
  const removed = [...stored.keys()].filter((name) => !stamps.has(name));
  // Parts of the folders that changed are brought in step now; the others stay as they are on disk.
  const parts = new Map<string, Map<string, PageInfo>>();
  const dirtyFolders = new Set([...fresh.keys(), ...removed].map(folderOf));
  let byFolder: Map<string, string[]> | null = null;
  const namesByFolder = (folder: string): string[] => {
    if (!byFolder) {
      byFolder = new Map();
      for (const name of stamps.keys()) {
        const list = byFolder.get(folderOf(name));
        if (list) list.push(name);
        else byFolder.set(folderOf(name), [name]);
      }
    }
    return byFolder.get(folder) ?? [];
  };
  const loadPart = (folder: string, save: boolean): Map<string, PageInfo> => {
    let part = parts.get(folder);
    if (part) return part;
    const onDisk = files.readPart(folder);
    part = new Map();
    let stale = false;
    for (const name of namesByFolder(folder)) {
      let info = fresh.get(name) ?? onDisk.get(name);
      if (!fresh.has(name) && info && info.hash !== stamps.get(name)!.hash) info = undefined;
      if (!info) {
        // The part is missing, corrupt or behind the manifest: parse the page again.
        const page = readPage(found.get(name)!.file);
        if (!page) continue;
        info = pageInfo(name, page.text);
        stale = true;
      }
      if (fresh.has(name)) stale = true;
      part.set(name, info);
    }
    if (onDisk.size !== part.size) stale = true;
    parts.set(folder, part);
    if (stale || save) {
      try {
        files.writePart(folder, part.values());
      } catch {
        // Derived data: parsed again next time.
      }
    }
    return part;
  };
  for (const folder of dirtyFolders) loadPart(folder, true);
  let id = previousId ?? '';
  if (fresh.size || removed.length || previousId === null) {
    id = manifestId();
    try {
      files.writeManifest(id, stamps);
    } catch {
      // Derived data: parsed again next time.
    }
  }
  const entryOf = (name: string): CatalogEntry | undefined => {
    const stamp = stamps.get(name);
    if (!stamp) return undefined;
    const info = loadPart(folderOf(name), false).get(name);
    return info ? { ...info, mtimeMs: stamp.mtimeMs, size: stamp.size } : undefined;
  };
  let all: Map<string, CatalogEntry> | null = null;
  return {
    names: stamps,
    get pages() {
      if (all) return all;
      all = new Map();
      for (const name of stamps.keys()) {
        const entry = entryOf(name);
        if (entry) all.set(name, entry);
      }
      return all;
    },
    entry: entryOf,
    text(name) {
      const text = texts.get(name);
      if (text === undefined) return readFileSync(pageFile(wikiRoot, name), 'utf8');
      texts.delete(name);
      return text;
    },
    root: wikiRoot,
    changed,
    removed,
    previousId,
    id,
  };
}

/** A fresh id for a manifest written now (unique enough among the processes sharing one workspace). */
function manifestId(): string {
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** The manifest's pages as it has them, and the named ones as they are on disk now (absent when gone). */
function namedPages(root: string, stored: ReadonlyMap<string, PageStamp>, names: readonly string[]): Map<string, FoundPage> {
  const out = new Map<string, FoundPage>();
  for (const [name, stamp] of stored) out.set(name, { file: pageFile(root, name), mtimeMs: stamp.mtimeMs, size: stamp.size });
  for (const name of names) {
    const file = pageFile(root, name);
    const info = statSync(file, { throwIfNoEntry: false });
    if (info?.isFile()) out.set(name, { file, mtimeMs: info.mtimeMs, size: info.size });
    else out.delete(name);
  }
  return out;
}

/** The file of a page (which need not exist yet). */
export function pageFile(wikiRoot: string, name: string): string {
  return path.join(wikiRoot, ...name.split('/')) + '.md';
}
