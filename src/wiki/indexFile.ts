import { closeSync, openSync, readSync } from 'node:fs';
import { writeAtomic } from './catalog.js';
import type { Postings, StoredSearch, Table } from './storedSearch.js';

/**
 * The search index on disk, in one file a query reads only part of: a
 * first line with the format and the head's length, the head (the document
 * table: ids, field lengths, counts; and where each shard lies), then the
 * shards: the inverted index split by the first two characters of its
 * terms, and the page hashes the index stands for. A query reads the head
 * and the shards its words start with; a prefix or exact match can only be
 * found there, so a MiniSearch filled with them ranks exactly as one
 * filled whole. One file, replaced by a rename, so a reader never mixes two
 * versions.
 *
 * Ids and postings are kept as flat number arrays ([id, value, id, value…])
 * rather than MiniSearch's own JSON (objects keyed by id strings), which
 * costs a command several times as much to parse and turn back into maps.
 */
const MAGIC = 'master-wiki-index 4';

interface Head {
  table: Table;
  /** Byte offset (after the head) and length of each shard, by key. */
  shards: Record<string, [number, number]>;
  hashes: [number, number];
}
export function writeIndexFile(file: string, search: StoredSearch<unknown>, hashes: ReadonlyMap<string, string>): void {
  const { table, shards: groups } = search.toColumns();
  const blobs: Buffer[] = [];
  let offset = 0;
  const place = (value: unknown): [number, number] => {
    const blob = Buffer.from(JSON.stringify(value));
    blobs.push(blob);
    offset += blob.length;
    return [offset - blob.length, blob.length];
  };
  const shards: Record<string, [number, number]> = {};
  for (const [key, group] of groups) shards[key] = place(group);
  const head: Head = { table, shards, hashes: place(Object.fromEntries(hashes)) };
  const headBlob = Buffer.from(JSON.stringify(head));
  writeAtomic(file, Buffer.concat([Buffer.from(`${MAGIC} ${headBlob.length}\n`), headBlob, ...blobs]));
}

/** What a load read: the index (its documents and the terms of the shards asked for) and, when asked, the hashes. */
export interface IndexRead {
  table: Table;
  terms: Array<[string, Postings]>;
  hashes: Map<string, string> | null;
}

/**
 * Reads the head and the shards `want` accepts (all without it; none with
 * `terms: false`), and the hashes when asked; null when the file is missing,
 * cut short or not this format.
 */
export function readIndexFile(file: string, options: { want?: (key: string) => boolean; terms?: boolean; hashes?: boolean }): IndexRead | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const first = Buffer.alloc(64);
    const got = readSync(fd, first, 0, first.length, 0);
    const line = first.subarray(0, got).toString('latin1');
    const end = line.indexOf('\n');
    if (end < 0 || !line.startsWith(`${MAGIC} `)) return null;
    const headLength = Number(line.slice(MAGIC.length + 1, end));
    if (!Number.isSafeInteger(headLength)) return null;
    const base = end + 1 + headLength;
    const read = (at: number, length: number): string => {
      const buffer = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buffer, done, length - done, at + done);
        if (n === 0) throw new Error('the index file is cut short');
        done += n;
      }
      return buffer.toString('utf8');
    };
    const head = JSON.parse(read(end + 1, headLength)) as Head;
    const terms: Array<[string, Postings]> = [];
    if (options.terms !== false) {
      for (const key in head.shards) {
        if (options.want && !options.want(key)) continue;
        const [at, length] = head.shards[key]!;
        for (const entry of JSON.parse(read(base + at, length)) as Array<[string, Postings]>) terms.push(entry);
      }
    }
    let hashes: Map<string, string> | null = null;
    if (options.hashes) {
      const [at, length] = head.hashes;
      hashes = new Map(Object.entries(JSON.parse(read(base + at, length)) as Record<string, string>));
    }
    return { table: head.table, terms, hashes };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
