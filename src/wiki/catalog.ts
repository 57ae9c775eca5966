import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { scanPages, Stamps, type PageStamp } from './manifest.js';
import { pageInfo, type PageInfo } from './page.js';

export type { PageStamp } from './manifest.js';

/** Where the wiki's derived files live (the catalog and the search index): rebuildable, never the source. */
export function wikiDataDir(dataDir: string): string {
  return path.join(dataDir, 'wiki');
}

const CATALOG_VERSION = 2;

export interface CatalogEntry extends PageInfo {
  mtimeMs: number;
  size: number;
}

export interface Catalog {
  /** Every page's stamp by name, sorted (a map built on first use: `hashOf` and `has` need none). */
  readonly names: ReadonlyMap<string, PageStamp>;
  /** How many pages there are. */
  readonly count: number;
  has(name: string): boolean;
  /** A page's content hash, or undefined when there is no such page. */
  hashOf(name: string): string | undefined;
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
   * the stat of every page; a change it is not told of (an editor's) is found
   * by the next full look, as the manifest keeps that page's old stamp.
   */
  changed?: readonly string[];
}

/**
 * Writes through a temp file and a rename, so a reader never sees half a
 * file. Parts are written one after another, not first copied into one
 * buffer (a big file's fresh memory costs as much as the writing).
 */
export function writeAtomic(file: string, content: string | Uint8Array | readonly Uint8Array[]): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  if (!Array.isArray(content)) writeFileSync(temp, content as string | Uint8Array);
  else {
    const fd = openSync(temp, 'w');
    try {
      for (const part of content) for (let done = 0; done < part.length; ) done += writeSync(fd, part, done, part.length - done);
    } finally {
      closeSync(fd);
    }
  }
  renameSync(temp, file);
}

/** The folder part of a page name: pages are kept in one catalog part per folder. */
function folderOf(name: string): string {
  const slash = name.lastIndexOf('/');
  return slash < 0 ? '' : name.slice(0, slash);
}

/**
 * The catalog on disk: `manifest.bin` holds each page's mtime, size and
 * content hash (one binary file, read by every command), and `pages/` one
 * file per wiki folder with what was parsed from its pages (read only by
 * the commands that need titles, links or problems, and only the folders
 * they need). One changed page rewrites the manifest and its folder's part.
 */
class CatalogFiles {
  constructor(private readonly dir: string) {}

  get manifestFile(): string {
    return path.join(this.dir, 'manifest.bin');
  }

  partFile(folder: string): string {
    return path.join(this.dir, 'pages', `${encodeURIComponent(folder || '.')}.json`);
  }

  readManifest(): { id: string | null; stamps: Stamps } {
    return Stamps.read(this.manifestFile);
  }

  writeManifest(id: string, stamps: Stamps): void {
    // The one-file catalog and the JSON manifest of earlier versions are replaced by this manifest and the folder parts.
    for (const old of ['catalog.json', 'manifest.json']) rmSync(path.join(this.dir, old), { force: true });
    writeAtomic(this.manifestFile, stamps.toBytes(id));
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
 * the manifest (or, with `changed`, a stat of those pages only). What was
 * parsed from unchanged pages is read only when
 * asked for. A missing or corrupt catalog is rebuilt from the pages; a
 * read-only `.master/` only costs the parsing again next time.
 */
export function loadCatalog(wikiRoot: string, dataDir: string, options: CatalogOptions = {}): Catalog {
  const files = new CatalogFiles(wikiDataDir(dataDir));
  const { id: previousId, stamps: stored } = files.readManifest();
  const fresh = new Map<string, PageInfo>();
  // Texts of the pages parsed by this look, kept for the index (which would read them again) until it has used them.
  const texts = new Map<string, string>();
  const changed: string[] = [];
  const removed: string[] = [];
  const updates = new Map<string, PageStamp | null>();
  const drop = (name: string) => {
    updates.set(name, null);
    removed.push(name);
  };
  /** A page found on disk (at `known` in the manifest, or -1): taken as it was when its mtime and size are, else read and parsed. */
  const look = (name: string, mtimeMs: number, size: number, known: number): void => {
    if (known >= 0 && stored.mtimeAt(known) === mtimeMs && stored.sizeAt(known) === size) return;
    // The file's path is made only for a page that must be read: building it for every page costs the look.
    const page = readPage(pageFile(wikiRoot, name));
    if (!page) {
      if (known >= 0) drop(name);
      return;
    }
    const parsed = pageInfo(name, page.text);
    fresh.set(name, parsed);
    texts.set(name, page.text);
    updates.set(name, { mtimeMs: page.mtimeMs, size: page.size, hash: parsed.hash });
    if (known < 0 || stored.hashAt(known) !== parsed.hash) changed.push(name);
  };
  if (options.changed !== undefined && previousId !== null) {
    // The caller names what it changed: every other page is as the manifest has it.
    for (const name of new Set(options.changed)) {
      const file = pageFile(wikiRoot, name);
      const known = stored.indexOf(name);
      const info = statSync(file, { throwIfNoEntry: false });
      if (info?.isFile()) look(name, info.mtimeMs, info.size, known);
      else if (known >= 0) drop(name);
    }
  } else {
    const seen = new Uint8Array(stored.size);
    let last = -1;
    scanPages(wikiRoot, (name, mtimeMs, size) => {
      const known = stored.indexOf(name, last + 1);
      if (known >= 0) seen[(last = known)] = 1;
      look(name, mtimeMs, size, known);
    });
    for (let i = 0; i < stored.size; i++) if (!seen[i]) drop(stored.names[i]!);
  }
  const stamps = stored.with(updates);
  // Parts of the folders that changed are brought in step now; the others stay as they are on disk.
  const parts = new Map<string, Map<string, PageInfo>>();
  const dirtyFolders = new Set([...fresh.keys(), ...removed].map(folderOf));
  const loadPart = (folder: string, save: boolean): Map<string, PageInfo> => {
    let part = parts.get(folder);
    if (part) return part;
    const onDisk = files.readPart(folder);
    part = new Map();
    let stale = false;
    for (const name of stamps.inFolder(folder)) {
      let info = fresh.get(name) ?? onDisk.get(name);
      if (!fresh.has(name) && info && info.hash !== stamps.hashAt(stamps.indexOf(name))) info = undefined;
      if (!info) {
        // The part is missing, corrupt or behind the manifest: parse the page again.
        const page = readPage(pageFile(wikiRoot, name));
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
  // An empty wiki that never had a manifest writes none: reading a workspace's knowledge leaves nothing behind.
  if (fresh.size || removed.length || (previousId === null && stamps.size > 0)) {
    id = manifestId();
    try {
      files.writeManifest(id, stamps);
    } catch {
      // Derived data: parsed again next time.
    }
  }
  const entryOf = (name: string): CatalogEntry | undefined => {
    const at = stamps.indexOf(name);
    if (at < 0) return undefined;
    const info = loadPart(folderOf(name), false).get(name);
    return info ? { ...info, mtimeMs: stamps.mtimeAt(at), size: stamps.sizeAt(at) } : undefined;
  };
  let all: Map<string, CatalogEntry> | null = null;
  return {
    get names() {
      return stamps.toMap();
    },
    count: stamps.size,
    has: (name) => stamps.indexOf(name) >= 0,
    hashOf(name) {
      const at = stamps.indexOf(name);
      return at < 0 ? undefined : stamps.hashAt(at);
    },
    get pages() {
      if (all) return all;
      all = new Map();
      for (const name of stamps.names) {
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

/** The file of a page (which need not exist yet). */
export function pageFile(wikiRoot: string, name: string): string {
  return path.join(wikiRoot, ...name.split('/')) + '.md';
}
