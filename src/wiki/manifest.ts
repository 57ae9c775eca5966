import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import path from 'node:path';

/** What the manifest knows of a page without its parsed details: enough to tell whether its file changed. */
export interface PageStamp {
  mtimeMs: number;
  size: number;
  hash: string;
}

/** The manifest file's first bytes: its format (a file of an earlier format reads as no manifest, and is rebuilt). */
const MAGIC = 'master-wiki-manifest 4';
/** A page's content hash (sha1, hex). */
const HASH_LENGTH = 40;
const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Every page's stamp, in columns sorted by page name: names, [mtime, size]
 * pairs, and the hashes run together. Every command reads the manifest and
 * looks at every page against it, so the file is binary (see `toBytes`): the
 * numbers are read as they lie in the file, not parsed, the hashes are
 * decoded only for the pages that need one, and a page is found by a binary
 * search, not a map built first. In a short command, a megabyte of JSON
 * parsed into the heap cost more than the look it serves.
 */
export class Stamps {
  private map: Map<string, PageStamp> | null = null;

  private constructor(
    readonly names: readonly string[],
    private readonly numbers: ArrayLike<number>,
    /** The hashes run together: as they lie in the file (a Buffer) until all of them are needed as one string. */
    private hashes: string | Buffer,
  ) {}

  static empty(): Stamps {
    return new Stamps([], [], '');
  }

  /** From stamps in any order. */
  static of(entries: Iterable<[string, PageStamp]>): Stamps {
    const sorted = [...entries].sort(([a], [b]) => compare(a, b));
    const numbers = new Float64Array(sorted.length * 2);
    sorted.forEach(([, s], i) => {
      numbers[2 * i] = s.mtimeMs;
      numbers[2 * i + 1] = s.size;
    });
    return new Stamps(
      sorted.map(([name]) => name),
      numbers,
      sorted.map(([, s]) => s.hash).join(''),
    );
  }

  get size(): number {
    return this.names.length;
  }

  /** The position of a page, or -1; `guess` is tried first (the next page of a walk in name order is the next one here). */
  indexOf(name: string, guess = -1): number {
    if (guess >= 0 && this.names[guess] === name) return guess;
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
    const { hashes } = this;
    return typeof hashes === 'string' ? hashes.slice(i * HASH_LENGTH, (i + 1) * HASH_LENGTH) : hashes.toString('latin1', i * HASH_LENGTH, (i + 1) * HASH_LENGTH);
  }

  /** Every hash, run together as one string (decoded once, when a change needs them all). */
  private allHashes(): string {
    if (typeof this.hashes !== 'string') this.hashes = this.hashes.toString('latin1');
    return this.hashes;
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
    const numbers = Array.from(this.numbers);
    let hashes = this.allHashes();
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

  /**
   * The manifest file: a first line with the format, the manifest's id, the
   * page count and the names' byte length; the names, each ended by a NUL
   * (no path holds one); zeros up to a multiple of 8; the [mtime, size] pairs
   * as little-endian doubles; the hashes run together.
   */
  toBytes(id: string): Buffer {
    const names = Buffer.from(this.names.map((n) => `${n}\0`).join(''));
    const head = Buffer.from(`${MAGIC} ${id} ${this.names.length} ${names.length}\n`);
    const pad = (8 - ((head.length + names.length) % 8)) % 8;
    const numbers = Buffer.alloc(this.names.length * 16);
    for (let i = 0; i < this.names.length * 2; i++) numbers.writeDoubleLE(this.numbers[i]!, i * 8);
    return Buffer.concat([head, names, Buffer.alloc(pad), numbers, typeof this.hashes === 'string' ? Buffer.from(this.hashes, 'latin1') : this.hashes]);
  }

  /** The manifest file's stamps and id; empty with a null id when missing, of an earlier format, cut short or corrupt. */
  static read(file: string): { id: string | null; stamps: Stamps } {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch {
      return { id: null, stamps: Stamps.empty() };
    }
    return Stamps.fromBytes(bytes);
  }

  /** A manifest file's bytes as `toBytes` wrote them (see `read`). */
  static fromBytes(bytes: Buffer): { id: string | null; stamps: Stamps } {
    const none = { id: null, stamps: Stamps.empty() };
    const end = bytes.indexOf(10);
    const head = end < 0 ? [] : bytes.toString('latin1', 0, Math.min(end, 200)).split(' ');
    if (end < 0 || head.length !== 5 || `${head[0]} ${head[1]}` !== MAGIC) return none;
    const id = head[2]!;
    const count = Number(head[3]);
    const namesLength = Number(head[4]);
    const namesAt = end + 1;
    const numbersAt = namesAt + namesLength + ((8 - ((namesAt + namesLength) % 8)) % 8);
    const hashesAt = numbersAt + count * 16;
    if (!id || !Number.isSafeInteger(count) || !Number.isSafeInteger(namesLength) || count < 0 || namesLength < 0 || bytes.length !== hashesAt + count * HASH_LENGTH) return none;
    const names = count === 0 ? [] : bytes.toString('utf8', namesAt, namesAt + namesLength - 1).split('\0');
    if (names.length !== count) return none;
    // The doubles are used where they lie when the file's buffer allows it (it starts on an 8-byte boundary, as a file read does).
    let numbers: Float64Array;
    if (LITTLE_ENDIAN && (bytes.byteOffset + numbersAt) % 8 === 0) numbers = new Float64Array(bytes.buffer, bytes.byteOffset + numbersAt, count * 2);
    else {
      numbers = new Float64Array(count * 2);
      for (let i = 0; i < count * 2; i++) numbers[i] = bytes.readDoubleLE(numbersAt + i * 8);
    }
    for (let i = 1; i < count; i++) if (!(names[i - 1]! < names[i]!)) return none;
    return { id, stamps: new Stamps(names, numbers, bytes.subarray(hashesAt)) };
  }
}

/** Code-unit order, as `Array.prototype.sort` has it. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const NO_THROW = { throwIfNoEntry: false } as const;

/**
 * Every `.md` file under the wiki folder, as page names, each stat-ed and
 * handed to `visit` with its mtime and size (kept by the walk, ten thousand
 * names and numbers would outlive it and make the heap grow: a cost of its
 * own in a short command); dot folders (`.obsidian`, `.trash`) are
 * Obsidian's own. Each folder's entries are taken in name order, so the
 * pages come nearly in the manifest's order and each is found there at the
 * next place, without a search.
 */
export function scanPages(root: string, visit: (name: string, mtimeMs: number, size: number) => void): void {
  const walk = (dir: string, prefix: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch {
      return;
    }
    // Plain names, not entries with their types: every one is stat-ed anyway (lstat: a link is no page, as before).
    for (const name of entries) {
      if (name.startsWith('.')) continue;
      // A README at the top says what the folder is; it is no page of any brand.
      if (prefix === '' && name.toLowerCase() === 'readme.md') continue;
      const full = `${dir}${path.sep}${name}`;
      const info = lstatSync(full, NO_THROW);
      if (!info) continue;
      if (info.isDirectory()) walk(full, `${prefix}${name}/`);
      else if (name.endsWith('.md') && info.isFile()) visit(`${prefix}${name.slice(0, -3)}`, info.mtimeMs, info.size);
    }
  };
  walk(root, '');
}
