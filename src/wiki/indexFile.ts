import { closeSync, openSync, readSync } from 'node:fs';
import MiniSearch, { type MatchInfo, type Options, type SearchOptions, type SearchResult } from 'minisearch';
import { writeAtomic } from './catalog.js';

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

/** A term's postings: [fieldId, [shortId, frequency, shortId, frequency…], fieldId, […]…]. */
type Postings = Array<number | number[]>;

interface Table {
  documentCount: number;
  nextId: number;
  fieldIds: Record<string, number>;
  averageFieldLength: number[];
  dirtCount: number;
  /** [shortId, page name, shortId, page name…] */
  ids: Array<number | string>;
  /** [shortId, length of each field…] per document, one field count apart. */
  lengths: number[];
}

interface Head {
  table: Table;
  /** Byte offset (after the head) and length of each shard, by key. */
  shards: Record<string, [number, number]>;
  hashes: [number, number];
}

/** The shard a term lives in. */
export function shardKey(term: string): string {
  return term.slice(0, 2);
}

/** Which shards a query's (processed) terms can match in, by exact or prefix match. */
export function shardsFor(terms: readonly string[]): (key: string) => boolean {
  const exact = new Set<string>();
  const short: string[] = [];
  for (const term of terms) {
    if (term.length >= 2) exact.add(shardKey(term));
    else short.push(term);
  }
  return (key) => exact.has(key) || short.some((t) => key.startsWith(t));
}

/**
 * MiniSearch with its state written to and filled from the file's columns
 * (its fields are protected: open to a subclass). Searching is MiniSearch's
 * own, untouched.
 */
export class StoredSearch<T> extends MiniSearch<T> {
  /**
   * `search(query, options).slice(0, limit)`, without building and sorting a
   * result for every match (a common word matches nearly every page): the
   * same matches and scores from MiniSearch's own query, the best kept as its
   * stable sort keeps them (by score, ties in MiniSearch's order).
   */
  top(query: string, options: SearchOptions, limit: number): SearchResult[] {
    const raw = (this as unknown as { executeQuery(q: string, o: SearchOptions): Map<number, { score: number; terms: string[]; match: MatchInfo }> }).executeQuery(query, options);
    const filter = { ...this._options.searchOptions, ...options }.filter;
    const best: SearchResult[] = [];
    for (const [docId, { score: sum, terms, match }] of raw) {
      const score = sum * (terms.length || 1);
      // A full list keeps its earlier equal: a later one with no higher score cannot get in.
      if (best.length >= limit && score <= best[best.length - 1]!.score) continue;
      const result: SearchResult = { id: this._documentIds.get(docId), score, terms: Object.keys(match), queryTerms: terms, match };
      Object.assign(result, this._storedFields.get(docId));
      if (filter && !filter(result)) continue;
      let at = best.length;
      while (at > 0 && best[at - 1]!.score < score) at--;
      best.splice(at, 0, result);
      if (best.length > limit) best.pop();
    }
    return best;
  }

  /** The index as the file's head table and its terms grouped by shard. */
  toColumns(): { table: Table; shards: Map<string, Array<[string, Postings]>> } {
    const ids: Array<number | string> = [];
    for (const [shortId, id] of this._documentIds) ids.push(shortId, id as string);
    const fieldCount = Object.keys(this._fieldIds).length;
    const lengths: number[] = [];
    for (const [shortId, list] of this._fieldLength) {
      lengths.push(shortId);
      // A field a document lacks has no length (and no terms to score it by).
      for (let f = 0; f < fieldCount; f++) lengths.push(list[f] ?? 0);
    }
    const shards = new Map<string, Array<[string, Postings]>>();
    for (const [term, fields] of this._index) {
      const postings: Postings = [];
      for (const [fieldId, freqs] of fields) {
        const flat: number[] = [];
        for (const [shortId, freq] of freqs) flat.push(shortId, freq);
        postings.push(fieldId, flat);
      }
      const key = shardKey(term);
      const group = shards.get(key);
      if (group) group.push([term, postings]);
      else shards.set(key, [[term, postings]]);
    }
    const table: Table = {
      documentCount: this._documentCount,
      nextId: this._nextId,
      fieldIds: this._fieldIds,
      averageFieldLength: this._avgFieldLength,
      dirtCount: this._dirtCount,
      ids,
      lengths,
    };
    return { table, shards };
  }

  /** A MiniSearch holding the table's documents and the given terms. */
  static fromColumns<T>(options: Options<T>, table: Table, terms: Array<[string, Postings]>): StoredSearch<T> {
    const search = new StoredSearch<T>(options);
    search.fill(table, terms);
    return search;
  }

  private fill(table: Table, terms: Array<[string, Postings]>): void {
    const fieldCount = Object.keys(table.fieldIds).length;
    this._documentCount = table.documentCount;
    this._nextId = table.nextId;
    this._fieldIds = table.fieldIds;
    this._avgFieldLength = table.averageFieldLength;
    this._dirtCount = table.dirtCount;
    for (let i = 0; i < table.ids.length; i += 2) {
      const shortId = table.ids[i] as number;
      const id = table.ids[i + 1] as string;
      this._documentIds.set(shortId, id);
      this._idToShortId.set(id, shortId);
    }
    for (let i = 0; i < table.lengths.length; i += fieldCount + 1) this._fieldLength.set(table.lengths[i]!, table.lengths.slice(i + 1, i + 1 + fieldCount));
    for (const [term, postings] of terms) {
      const fields = new Map<number, Map<number, number>>();
      for (let i = 0; i < postings.length; i += 2) {
        const flat = postings[i + 1] as number[];
        const freqs = new Map<number, number>();
        for (let j = 0; j < flat.length; j += 2) freqs.set(flat[j]!, flat[j + 1]!);
        fields.set(postings[i] as number, freqs);
      }
      this._index.set(term, fields);
    }
  }
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
