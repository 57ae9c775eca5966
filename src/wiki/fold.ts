import MiniSearch, { type Options } from 'minisearch';
import type SearchableMap from 'minisearch/SearchableMap';
import { fieldSlot, type Numbers, PLACE, type Postings, type Shard, type Table } from './columns.js';
import { eachName, encodeNames } from './frontCoded.js';
import { readIndexFile } from './indexFile.js';
import { shardKey } from './shards.js';

/*
 * Folding the pages changed since the index file was written into it, at
 * the level of the file's columns: the same file, byte for byte, as loading
 * it into MiniSearch, discarding and adding each changed page, vacuuming and
 * writing it back (StoredSearch's toColumns), without building MiniSearch's
 * maps for every posting of every term (at 10,000 pages over a million map
 * entries, a third of whose cost was the garbage collector's).
 *
 * Each step is MiniSearch's own (node_modules/minisearch/src/MiniSearch.ts),
 * written over the columns: `discard` (field lengths, counts), `add` (its
 * options' tokenizer and term processing, `addFieldLength`, `addTerm`), and
 * the vacuum (a field left without postings goes, a term left without fields
 * goes). The terms' order is the one thing that is not local: it is the
 * iteration order of MiniSearch's term tree (its SearchableMap), which an
 * insert can reorder (a split node moves to the end of its parent's
 * children) and a delete too (merged nodes). So the terms' keys alone are
 * put into a SearchableMap exactly as a load does, the same inserts and
 * deletes are made on it, and its order is the order written.
 */

/** A page changed since the file was written: its document, or null when it was removed. */
export type FoldPending<T> = { doc: T } | null;

/** The columns to write: what `vacuumNow` and `toColumns` would have made of the loaded index with the changes applied. */
export interface Folded {
  table: Table;
  shards: Map<string, Shard>;
  /** The file's page hashes (as read: without the changes), when asked for. */
  hashes: Map<string, string> | null;
}

/** MiniSearch's options as it resolves them (defaults filled in): what its `add` uses. */
interface Resolved<T> {
  fields: string[];
  idField: string;
  extractField: (document: T, field: string) => unknown;
  stringifyField: (value: unknown, field: string) => string;
  tokenize: (text: string, field?: string) => string[];
  processTerm: (term: string, field?: string) => string | string[] | null | undefined | false;
}

/** Postings added to a term by the changed pages: per field (in the order MiniSearch's map gets them), [shortId, frequency…]. */
type Added = Array<[number, number[]]>;

/**
 * The index file with the changed pages folded in, in `pending`'s order (for
 * each: discard the page if the file holds it, then add its document); null
 * when the file cannot be read or holds something this does not handle
 * (the caller then takes MiniSearch's own path). The file's page hashes come
 * along when asked for (the caller applies the changes to them).
 */
export function foldPending<T>(file: string, options: Options<T>, pending: ReadonlyMap<string, FoldPending<T>>, withHashes: boolean): Folded | null {
  try {
    return fold(file, options, pending, withHashes);
  } catch {
    // Whatever went wrong here, MiniSearch's own path does it right (or rebuilds).
    return null;
  }
}

function fold<T>(file: string, options: Options<T>, pending: ReadonlyMap<string, FoldPending<T>>, withHashes: boolean): Folded | null {
  const read = readIndexFile(file, { hashes: withHashes });
  if (!read) return null;
  const { table } = read;
  // A MiniSearch of these options: its resolved options are what its `add` uses, and its term tree's class is the one
  // whose order is written (taken from it, not imported again: the same code, and no second copy in the bundle).
  const probe = new MiniSearch<T>(options) as unknown as { _options: Resolved<T>; _index: SearchableMap<unknown> };
  const resolved = probe._options;
  const Tree = probe._index.constructor as new () => SearchableMap<number>;
  const fieldCount = Object.keys(table.fieldIds).length;
  // The file's fields must be the options' fields in order (as MiniSearch numbers them); ids must be strings.
  if (table.idsAsJson || fieldCount !== resolved.fields.length || resolved.fields.some((field, i) => table.fieldIds[field] !== i)) return null;

  let documentCount = table.documentCount;
  let nextId = table.nextId;
  // The same array MiniSearch's arithmetic runs on (it may hold a null a NaN was written as: the operators treat it as MiniSearch's would).
  const avg = [...table.averageFieldLength] as Array<number>;

  // The documents as MiniSearch's _documentIds holds them: the table's, in order, then the added ones.
  const names: string[] = [];
  const placeOf = new Map<string, number>();
  eachName(table.names, table.shortIds.length, (place, name) => {
    names.push(name);
    placeOf.set(name, place);
  });
  const gonePlace = new Uint8Array(names.length);
  const added: Array<{ name: string; shortId: number; lengths: number[] }> = [];

  // The terms' keys, in a tree filled as a load fills MiniSearch's (in the file's order): its value is the term's place in `entries`.
  const entries: Array<[string, Postings | null]> = read.terms;
  const fileTerms = entries.length;
  const tree = new Tree();
  for (let i = 0; i < fileTerms; i++) tree.set(entries[i]![0], i);
  const addedTo = new Map<number, Added>();

  // MiniSearch's addTerm: the tree's fetch (which may insert), then the posting after the field's others.
  const addTerm = (fieldId: number, shortId: number, term: string) => {
    const at = tree.fetch(term, () => entries.push([term, null]) - 1);
    let fields = addedTo.get(at);
    if (!fields) addedTo.set(at, (fields = []));
    let field = fields.find(([id]) => id === fieldId);
    if (!field) fields.push((field = [fieldId, []]));
    const pairs = field[1];
    if (pairs.length > 0 && pairs[pairs.length - 2] === shortId) pairs[pairs.length - 1]! += 1;
    else pairs.push(shortId, 1);
  };

  // Whether the file's table still holds a page (MiniSearch's `has`): each name is pending once, so none is added twice.
  const held = (name: string) => {
    const place = placeOf.get(name);
    return place !== undefined && !gonePlace[place];
  };
  let goneCount = 0;
  for (const [name, entry] of pending) {
    const place = placeOf.get(name);
    if (place !== undefined && held(name)) {
      // MiniSearch's discard: each field length out of its average (the count before the page goes), then the counts.
      const shortId = table.shortIds[place]!;
      for (let fieldId = 0; fieldId < fieldCount; fieldId++) {
        const length = table.lengths[shortId * fieldCount + fieldId]!;
        if (documentCount === 1) avg[fieldId] = 0;
        else avg[fieldId] = (avg[fieldId]! * documentCount - length) / (documentCount - 1);
      }
      gonePlace[place] = 1;
      goneCount += 1;
      // (The dirt count it raises is reset by the vacuum.)
      documentCount -= 1;
    }
    if (!entry) continue;
    // MiniSearch's add, step by step.
    const doc = entry.doc;
    const id = resolved.extractField(doc, resolved.idField);
    if (typeof id !== 'string' || id !== name || held(id)) return null;
    const shortId = nextId;
    nextId += 1;
    documentCount += 1;
    const lengths: number[] = [];
    for (const field of resolved.fields) {
      const value = resolved.extractField(doc, field);
      if (value == null) continue;
      const tokens = resolved.tokenize(resolved.stringifyField(value, field), field);
      const fieldId = table.fieldIds[field]!;
      const unique = new Set(tokens).size;
      lengths[fieldId] = unique;
      const count = documentCount - 1;
      const average = avg[fieldId] || 0;
      avg[fieldId] = (average * count + unique) / (count + 1);
      for (const token of tokens) {
        const processed = resolved.processTerm(token, field);
        if (Array.isArray(processed)) for (const term of processed) addTerm(fieldId, shortId, term);
        else if (processed) addTerm(fieldId, shortId, processed);
      }
    }
    added.push({ name: id, shortId, lengths });
  }

  // Short ids no document holds any more: their postings go (the vacuum).
  const dead = new Uint8Array(nextId);
  for (let place = 0; place < names.length; place++) if (gonePlace[place]) dead[table.shortIds[place]!] = 1;
  const anyDead = goneCount > 0;

  // Terms left without a posting leave the tree in its order, as the vacuum deletes them.
  // Which of the file's terms hold a dead posting (only those need their postings sifted), and which hold nothing else.
  const hasDead = new Uint8Array(fileTerms);
  if (anyDead) {
    const gone = new Set<number>();
    for (let i = 0; i < fileTerms; i++) {
      const { data, fields } = entries[i]![1]!;
      let deadCount = 0;
      let count = 0;
      for (let f = 0; f < fields.length; f += PLACE) {
        count += (fields[f + 2]! - fields[f + 1]!) / 2;
        deadCount += deadIn(data, fields[f + 1]!, fields[f + 2]!, dead);
      }
      if (deadCount === 0) continue;
      hasDead[i] = 1;
      if (deadCount === count && !addedTo.has(i)) gone.add(i);
    }
    if (gone.size > 0) {
      const ordered: string[] = [];
      for (const [term, at] of tree) if (gone.has(at)) ordered.push(term);
      for (const term of ordered) tree.delete(term);
    }
  }

  // The postings, term by term in the tree's order; a shard's terms are one run of that order (one subtree).
  // In 16 bits when the file's are and every added number fits (what the writer would make of them: fresh memory costs,
  // and 32 bits would be written as 16 again); else 32.
  let total = 0;
  let narrow = nextId <= 0x10000;
  for (const shardData of new Set(entries.slice(0, fileTerms).map(([, p]) => p!.data))) {
    total += shardData.length;
    if (!(shardData instanceof Uint16Array)) narrow = false;
  }
  for (const fields of addedTo.values()) {
    for (const [, pairs] of fields) {
      total += pairs.length;
      if (pairs.some((n) => n >= 0x10000)) narrow = false;
    }
  }
  const all: Numbers = narrow ? new Uint16Array(total) : new Uint32Array(total);
  let filled = 0;
  const shards = new Map<string, Shard>();
  let current: { key: string; start: number; terms: Shard['terms'] } | null = null;
  const close = () => {
    if (current) shards.set(current.key, { terms: current.terms, data: all.subarray(current.start, filled) });
  };
  const order: number[] = [];
  inOrder(tree._tree as unknown as TreeNode, order);
  for (const at of order) {
    const term = entries[at]![0];
    const key = shardKey(term);
    if (!current || current.key !== key) {
      close();
      if (shards.has(key)) return null;
      current = { key, start: filled, terms: [] };
    }
    const base = current.start;
    const places: number[] = [];
    const more = addedTo.get(at);
    const postings = entries[at]![1];
    // A field goes when the vacuum took its last posting (a field read without any, which this writer never makes, stays,
    // as it would in MiniSearch's map).
    const put = (fieldId: number, start: number, hadNone = false) => {
      if (filled > start || hadNone) places.push(fieldId, start - base, filled - base, ascends(all, start, filled));
    };
    if (postings && !more && !hasDead[at]) {
      // Untouched: each field's postings copied as they are, natively.
      const { data, fields } = postings;
      for (let f = 0; f < fields.length; f += PLACE) {
        const start = filled;
        all.set(data.subarray(fields[f + 1]!, fields[f + 2]!), filled);
        filled += fields[f + 2]! - fields[f + 1]!;
        put(fields[f]!, start, fields[f + 1] === fields[f + 2]);
      }
    } else if (postings) {
      const { data, fields } = postings;
      for (let f = 0; f < fields.length; f += PLACE) {
        const fieldId = fields[f]!;
        const start = filled;
        filled = copyLive(all, filled, data, fields[f + 1]!, fields[f + 2]!, dead);
        const extra = more?.find(([id]) => id === fieldId);
        if (extra) filled = append(all, filled, extra[1]);
        put(fieldId, start, fields[f + 1] === fields[f + 2]);
      }
    }
    if (more) {
      for (const [fieldId, pairs] of more) {
        if (postings && fieldSlot(postings, fieldId) >= 0) continue;
        const start = filled;
        filled = append(all, filled, pairs);
        put(fieldId, start);
      }
    }
    if (places.length === 0) return null;
    current.terms.push([term, places]);
  }
  close();

  const shortIds = new Uint32Array(names.length - goneCount + added.length);
  const lengths = new Uint32Array(nextId * fieldCount);
  const texts: string[] = [];
  for (let place = 0; place < names.length; place++) {
    if (gonePlace[place]) continue;
    const shortId = table.shortIds[place]!;
    shortIds[texts.length] = shortId;
    texts.push(names[place]!);
    for (let f = 0; f < fieldCount; f++) lengths[shortId * fieldCount + f] = table.lengths[shortId * fieldCount + f]!;
  }
  for (const { name, shortId, lengths: list } of added) {
    shortIds[texts.length] = shortId;
    texts.push(name);
    for (let f = 0; f < fieldCount; f++) lengths[shortId * fieldCount + f] = list[f] ?? 0;
  }
  const folded: Table = {
    documentCount,
    nextId,
    fieldIds: table.fieldIds,
    averageFieldLength: avg,
    // The file is written vacuumed (see StoredSearch.vacuumNow).
    dirtCount: 0,
    shortIds,
    names: encodeNames(texts),
    idsAsJson: false,
    lengths,
  };
  return { table: folded, shards, hashes: read.hashes };
}

/** A node of MiniSearch's term tree: its children by the rest of their key, and at '' (its LEAF) the value of the term ending there. */
type TreeNode = Map<string, TreeNode | number>;

/**
 * The tree's terms (their places in `entries`) in the order MiniSearch's
 * TreeIterator lists them (each node's keys from the last to the first,
 * depth first, a term where its LEAF key comes), without an iterator step,
 * key array and joined key per term.
 */
function inOrder(node: TreeNode, out: number[]): void {
  const keys = Array.from(node.keys());
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    const child = node.get(key)!;
    if (key === '') out.push(child as number);
    else inOrder(child as TreeNode, out);
  }
}

/*
 * The loops over postings are small functions of their own, so the
 * optimizer compiles them early (a loop inside one long function runs
 * interpreted for most of a single fold).
 */

/** Copies a field's [shortId, frequency…] pairs but those of dead short ids; answers where the copy ends. */
function copyLive(all: Numbers, filled: number, data: Numbers, start: number, end: number, dead: Uint8Array): number {
  for (let j = start; j < end; j += 2) {
    const shortId = data[j]!;
    if (dead[shortId]) continue;
    all[filled++] = shortId;
    all[filled++] = data[j + 1]!;
  }
  return filled;
}

/** How many of a field's postings are of dead short ids. */
function deadIn(data: Numbers, start: number, end: number, dead: Uint8Array): number {
  let n = 0;
  for (let j = start; j < end; j += 2) n += dead[data[j]!]!;
  return n;
}

/** Appends added pairs after a field's others; answers where they end. */
function append(all: Numbers, filled: number, pairs: number[]): number {
  for (let j = 0; j < pairs.length; j++) all[filled++] = pairs[j]!;
  return filled;
}

/** 1 when a field's short ids ascend (as toColumns marks it), else 0. */
function ascends(all: Numbers, start: number, end: number): number {
  for (let j = start + 2; j < end; j += 2) if (all[j - 2]! >= all[j]!) return 0;
  return 1;
}
