import { closeSync, openSync, readSync } from 'node:fs';
import { endianness } from 'node:os';
import { writeAtomic } from './catalog.js';
import { restartCount } from './frontCoded.js';
import { type Numbers, PLACE, type Postings, type Shard, type Table } from './columns.js';
import type { StoredSearch } from './storedSearch.js';

/**
 * The search index on disk, in one file a query reads only part of: a
 * first line with the format and the head's length, the head (small JSON:
 * counts, field ids, where each section lies), then the sections: the
 * document table, the shards (the inverted index split by the first two
 * characters of its terms) and the page hashes the index stands for. A
 * query reads the head, the table and the shards its words start with; a
 * prefix or exact match can only be found there, so a MiniSearch filled
 * with them ranks exactly as one filled whole. One file, replaced by a
 * rename, so a reader never mixes two versions.
 *
 * The table and the postings are binary (numbers in the machine's order,
 * read straight into typed arrays; 16 bits each when every short id, count
 * and length of the file fits, else 32), not JSON: a one-query command
 * would otherwise parse 50,000 numbers and 10,000 names into objects on
 * its heap, and on a machine where every fresh page of memory costs, the
 * parse and the heap it grows cost more than the query.
 *
 * Table section: where every 16th of the documents' ids starts in the
 * names (32 bits each, see frontCoded.ts), their short ids (n), the field
 * lengths by short id (nextId × fields), then the ids front-coded in UTF-8
 * (each as JSON when not all are strings).
 * Shard section: its terms as JSON ([term, [fieldId, start, end, ascending…]]…), padded
 * to 4 bytes, then the postings: [shortId, frequency…] pairs, each term's
 * field from start to end.
 */
const MAGIC = 'master-wiki-index 6';

interface Head {
  documentCount: number;
  nextId: number;
  fieldIds: Record<string, number>;
  averageFieldLength: number[];
  dirtCount: number;
  /** The byte order the numbers were written in: a machine of the other order rebuilds. */
  endian: string;
  /** Whether the short ids, counts and lengths are 16 bits each (else 32). */
  narrow: boolean;
  /** Where the table lies (after the head), its documents and the length of their names. */
  table: { at: number; count: number; nameBytes: number; idsAsJson: boolean };
  /** Where each shard lies (after the head) and how long its terms' JSON is, by key. */
  shards: Record<string, [number, number, number]>;
  hashes: [number, number];
}

const align4 = (n: number) => (n + 3) & ~3;

export function writeIndexFile(file: string, search: StoredSearch<unknown>, hashes: ReadonlyMap<string, string>): void {
  // Without the postings of discarded pages, so a later query is scored from the columns (see vacuumNow).
  search.vacuumNow();
  const { table, shards } = search.toColumns();
  writeColumns(file, table, shards, hashes);
}

/** Writes the index file from its columns (a MiniSearch's, see toColumns, or a fold's, see fold.ts). */
export function writeColumns(file: string, table: Table, groups: ReadonlyMap<string, Shard>, hashes: ReadonlyMap<string, string>): void {
  const blobs: Buffer[] = [];
  let offset = 0;
  const place = (...parts: Uint8Array[]): [number, number] => {
    const start = offset;
    for (const part of parts) {
      blobs.push(Buffer.from(part.buffer, part.byteOffset, part.byteLength));
      offset += part.byteLength;
    }
    return [start, offset - start];
  };
  const narrow = [table.shortIds, table.lengths, ...[...groups.values()].map((g) => g.data)].every(fits16);
  // The typed array constructor converts in one native loop (`from` goes through the iterator, number by number). Columns
  // may come in either width (a fold keeps 16 bits when its own numbers fit): each is written in the file's.
  const sized = (numbers: Numbers) => {
    if (narrow) return bytesOf(numbers instanceof Uint16Array ? numbers : new Uint16Array(numbers));
    return bytesOf(numbers instanceof Uint32Array ? numbers : new Uint32Array(numbers));
  };
  const [tableAt] = place(bytesOf(table.names.restarts), sized(table.shortIds), sized(table.lengths), table.names.bytes);
  const shards: Record<string, [number, number, number]> = {};
  for (const [key, shard] of groups) {
    const terms = Buffer.from(JSON.stringify(shard.terms));
    const [at, length] = place(terms, new Uint8Array(align4(terms.length) - terms.length), sized(shard.data));
    shards[key] = [at, length, terms.length];
  }
  const head: Head = {
    documentCount: table.documentCount,
    nextId: table.nextId,
    fieldIds: table.fieldIds,
    averageFieldLength: table.averageFieldLength,
    dirtCount: table.dirtCount,
    endian: endianness(),
    narrow,
    table: { at: tableAt, count: table.shortIds.length, nameBytes: table.names.bytes.length, idsAsJson: table.idsAsJson },
    shards,
    hashes: place(Buffer.from(JSON.stringify(Object.fromEntries(hashes)))),
  };
  const headBlob = Buffer.from(JSON.stringify(head));
  writeAtomic(file, [Buffer.from(`${MAGIC} ${headBlob.length}\n`), headBlob, ...blobs]);
}

/** Whether every number fits in 16 bits (a plain loop: a callback per number costs more than the test). */
function fits16(numbers: Numbers): boolean {
  if (numbers instanceof Uint16Array) return true;
  for (let i = 0; i < numbers.length; i++) if (numbers[i]! >= 0x10000) return false;
  return true;
}

function bytesOf(numbers: Numbers): Uint8Array {
  return new Uint8Array(numbers.buffer, numbers.byteOffset, numbers.byteLength);
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
    // Each section into memory of its own: it starts there, so its numbers are aligned for typed arrays.
    const read = (at: number, length: number): Buffer<ArrayBuffer> => {
      const buffer = Buffer.from(new ArrayBuffer(length));
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buffer, done, length - done, at + done);
        if (n === 0) throw new Error('the index file is cut short');
        done += n;
      }
      return buffer;
    };
    const head = JSON.parse(read(end + 1, headLength).toString('utf8')) as Head;
    if (head.endian !== endianness()) return null;
    const fieldCount = Object.keys(head.fieldIds).length;
    const { count, nameBytes } = head.table;
    const Sized = head.narrow ? Uint16Array : Uint32Array;
    const width = Sized.BYTES_PER_ELEMENT;
    const restarts = restartCount(count);
    const numbersBytes = 4 * restarts + width * (count + head.nextId * fieldCount);
    const tableBytes = read(base + head.table.at, numbersBytes + nameBytes);
    const names = { bytes: tableBytes.subarray(numbersBytes), restarts: new Uint32Array(tableBytes.buffer, tableBytes.byteOffset, restarts) };
    if (names.restarts[restarts - 1] !== nameBytes) return null;
    const table: Table = {
      documentCount: head.documentCount,
      nextId: head.nextId,
      fieldIds: head.fieldIds,
      averageFieldLength: head.averageFieldLength,
      dirtCount: head.dirtCount,
      shortIds: new Sized(tableBytes.buffer, tableBytes.byteOffset + 4 * restarts, count),
      lengths: new Sized(tableBytes.buffer, tableBytes.byteOffset + 4 * restarts + width * count, head.nextId * fieldCount),
      names,
      idsAsJson: head.table.idsAsJson,
    };
    const terms: Array<[string, Postings]> = [];
    if (options.terms !== false) {
      for (const key in head.shards) {
        if (options.want && !options.want(key)) continue;
        const [at, length, termsLength] = head.shards[key]!;
        const bytes = read(base + at, length);
        const start = align4(termsLength);
        const data = new Sized(bytes.buffer, bytes.byteOffset + start, (length - start) / width);
        for (const [term, fields] of JSON.parse(bytes.toString('utf8', 0, termsLength)) as Shard['terms']) {
          for (let i = 0; i < fields.length; i += PLACE) if (!(fields[i + 1]! <= fields[i + 2]! && fields[i + 2]! <= data.length)) return null;
          terms.push([term, { data, fields }]);
        }
      }
    }
    let hashes: Map<string, string> | null = null;
    if (options.hashes) {
      const [at, length] = head.hashes;
      hashes = new Map(Object.entries(JSON.parse(read(base + at, length).toString('utf8')) as Record<string, string>));
    }
    return { table, terms, hashes };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
