import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** What the manifest knows of a page without its parsed details: enough to tell whether its file changed. */
export interface PageStamp {
  mtimeMs: number;
  size: number;
  hash: string;
}

const MANIFEST_VERSION = 3;
/** A page's content hash (sha1, hex). */
const HASH_LENGTH = 40;

/**
 * Every page's stamp, in columns sorted by page name: names, [mtime, size]
 * pairs, and the hashes run together. Every command reads the manifest and
 * looks at every page against it, so it is kept as three arrays that parse
 * several times faster than an object per page, and a page is found by a
 * binary search, not a map built first.
 */
export class Stamps {
  private map: Map<string, PageStamp> | null = null;

  constructor(
    readonly names: readonly string[],
    private readonly numbers: readonly number[],
    private readonly hashes: string,
  ) {}

  static empty(): Stamps {
    return new Stamps([], [], '');
  }

  /** From stamps in any order. */
  static of(entries: Iterable<[string, PageStamp]>): Stamps {
    const sorted = [...entries].sort(([a], [b]) => compare(a, b));
    const numbers: number[] = [];
    for (const [, s] of sorted) numbers.push(s.mtimeMs, s.size);
    return new Stamps(
      sorted.map(([name]) => name),
      numbers,
      sorted.map(([, s]) => s.hash).join(''),
    );
  }

  get size(): number {
    return this.names.length;
  }

  /** The position of a page, or -1. */
  indexOf(name: string): number {
    let lo = 0;
    let hi = this.names.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.names[mid]!;
      if (at === name) return mid;
      if (at < name) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  mtimeAt(i: number): number {
    return this.numbers[2 * i]!;
  }

  sizeAt(i: number): number {
    return this.numbers[2 * i + 1]!;
  }

  hashAt(i: number): string {
    return this.hashes.slice(i * HASH_LENGTH, (i + 1) * HASH_LENGTH);
  }

  /** The pages directly in a folder ('' for the top), in order: a run of the sorted names, found by a binary search. */
  inFolder(folder: string): string[] {
    const out: string[] = [];
    if (folder === '') {
      for (const name of this.names) if (!name.includes('/')) out.push(name);
      return out;
    }
    const prefix = `${folder}/`;
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.names[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.names.length && this.names[i]!.startsWith(prefix); i++) {
      if (!this.names[i]!.includes('/', prefix.length)) out.push(this.names[i]!);
    }
    return out;
  }

  /** As a map, built on first use (the commands that need every page's details). */
  toMap(): ReadonlyMap<string, PageStamp> {
    if (this.map) return this.map;
    this.map = new Map();
    for (let i = 0; i < this.names.length; i++) this.map.set(this.names[i]!, { mtimeMs: this.mtimeAt(i), size: this.sizeAt(i), hash: this.hashAt(i) });
    return this.map;
  }

  /** These stamps with some pages set (a stamp) or dropped (null). */
  with(changes: ReadonlyMap<string, PageStamp | null>): Stamps {
    if (changes.size === 0) return this;
    if (changes.size > 64) {
      const all = new Map(this.toMap());
      for (const [name, stamp] of changes) {
        if (stamp) all.set(name, stamp);
        else all.delete(name);
      }
      return Stamps.of(all);
    }
    const names = [...this.names];
    const numbers = [...this.numbers];
    let hashes = this.hashes;
    for (const [name, stamp] of changes) {
      let lo = 0;
      let hi = names.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (names[mid]! < name) lo = mid + 1;
        else hi = mid;
      }
      const found = names[lo] === name;
      if (!stamp) {
        if (!found) continue;
        names.splice(lo, 1);
        numbers.splice(2 * lo, 2);
        hashes = hashes.slice(0, lo * HASH_LENGTH) + hashes.slice((lo + 1) * HASH_LENGTH);
      } else if (found) {
        numbers[2 * lo] = stamp.mtimeMs;
        numbers[2 * lo + 1] = stamp.size;
        hashes = hashes.slice(0, lo * HASH_LENGTH) + stamp.hash + hashes.slice((lo + 1) * HASH_LENGTH);
      } else {
        names.splice(lo, 0, name);
        numbers.splice(2 * lo, 0, stamp.mtimeMs, stamp.size);
        hashes = hashes.slice(0, lo * HASH_LENGTH) + stamp.hash + hashes.slice(lo * HASH_LENGTH);
      }
    }
    return new Stamps(names, numbers, hashes);
  }

  toJSON(id: string): string {
    return JSON.stringify({ version: MANIFEST_VERSION, id, names: this.names, stamps: this.numbers, hashes: this.hashes });
  }

  /** The manifest file's stamps and id; empty with a null id when missing, old or corrupt. */
  static read(file: string): { id: string | null; stamps: Stamps } {
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as { version: number; id: string; names: string[]; stamps: number[]; hashes: string };
      const { names, stamps, hashes } = stored;
      const usable =
        stored.version === MANIFEST_VERSION &&
        typeof stored.id === 'string' &&
        Array.isArray(names) &&
        Array.isArray(stamps) &&
        typeof hashes === 'string' &&
        stamps.length === names.length * 2 &&
        hashes.length === names.length * HASH_LENGTH;
      return usable ? { id: stored.id, stamps: new Stamps(names, stamps, hashes) } : { id: null, stamps: Stamps.empty() };
    } catch {
      return { id: null, stamps: Stamps.empty() };
    }
  }
}

/** Code-unit order, as `Array.prototype.sort` has it. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every page file found by a walk, with its mtime and size (in columns: one object per page costs the look). */
export interface FoundPages {
  names: string[];
  mtimes: number[];
  sizes: number[];
}

/** Every `.md` file under the wiki folder, as page names, each stat-ed; dot folders (`.obsidian`, `.trash`) are Obsidian's own. */
export function scanPages(root: string): FoundPages {
  const out: FoundPages = { names: [], mtimes: [], sizes: [] };
  const walk = (dir: string, prefix: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    // Plain names, not entries with their types: every one is stat-ed anyway (lstat: a link is no page, as before).
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      // A README at the top says what the folder is; it is no page of any brand.
      if (prefix === '' && name.toLowerCase() === 'readme.md') continue;
      const isPage = name.endsWith('.md');
      const full = `${dir}${path.sep}${name}`;
      const info = lstatSync(full, { throwIfNoEntry: false });
      if (!info) continue;
      if (info.isDirectory()) walk(full, `${prefix}${name}/`);
      else if (isPage && info.isFile()) {
        out.names.push(`${prefix}${name.slice(0, -3)}`);
        out.mtimes.push(info.mtimeMs);
        out.sizes.push(info.size);
      }
    }
  };
  walk(root, '');
  return out;
}
