import { type FrontCoded, nameAt } from './frontCoded.js';

/*
 * The index file's columns as read (src/wiki/indexFile.ts holds the file)
 * and the plain-query scoring over them, with MiniSearch's own arithmetic
 * and order (the class in storedSearch.ts drives it).
 */

/** MiniSearch's postings of one term: by field id, each page's frequency by short id. */
export type FieldData = Map<number, Map<number, number>>;

/**
 * A term's postings as read: each field's [shortId, frequency…] pairs lie in
 * `data`; `fields` holds, per field, PLACE numbers: [fieldId, start, end,
 * 1 when its short ids ascend (as MiniSearch adds pages) else 0, …].
 */
export interface Postings {
  data: Numbers;
  fields: number[];
}

/** How many numbers describe a term's postings in one field (see Postings). */
export const PLACE = 4;

/** One shard as written: its terms, each with its fields' places in `data` (as in Postings), and their postings. */
export interface Shard {
  terms: Array<[string, number[]]>;
  data: Numbers;
}

/** Counts and short ids as read: 16 bits each when all of a file's fit, else 32. */
export type Numbers = Uint16Array | Uint32Array;

/** Where a term's postings in a field are described in `fields` (its fieldId's index), or -1. */
export function fieldSlot(postings: Postings, fieldId: number): number {
  const fields = postings.fields;
  for (let i = 0; i < fields.length; i += PLACE) if (fields[i] === fieldId) return i;
  return -1;
}

/** Whether a term's postings in a field hold a page: by halves when they are in id order, else one by one. */
export function hasPosting(postings: Postings, fieldId: number, docId: number): boolean {
  const slot = fieldSlot(postings, fieldId);
  if (slot < 0) return false;
  const { data, fields } = postings;
  const start = fields[slot + 1]!;
  const end = fields[slot + 2]!;
  if (!fields[slot + 3]) {
    for (let j = start; j < end; j += 2) if (data[j] === docId) return true;
    return false;
  }
  let lo = 0;
  let hi = (end - start) / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = data[start + 2 * mid]!;
    if (at === docId) return true;
    if (at < docId) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * One query word's scores: per page, its sum so far, whether it has one, and
 * the pages in the order they were first scored. The sums are a plain array
 * of boxed numbers, not a Float64Array: before the scoring loop is optimized
 * (a one-query command ends before that), every number read from a
 * Float64Array is a new heap object, and a few hundred thousand of them grow
 * the heap, whose fresh memory costs more than the arithmetic.
 */
export interface WordScores {
  scores: Array<number | null>;
  has: Uint8Array;
  order: Int32Array;
  count: number;
  derived: Array<[string, FieldData | Postings]>;
}

export function wordScores(size: number): WordScores {
  // Filled with null, so the array holds references (a number stored is kept as the object it already is).
  return { scores: new Array<number | null>(size).fill(null), has: new Uint8Array(size), order: new Int32Array(size), count: 0, derived: [] };
}

/** MiniSearch's BM25 parameters, with the parts that are the same for every posting computed once. */
export interface Bm25 {
  k: number;
  b: number;
  d: number;
  /** k + 1 */
  k1: number;
  /** 1 - b */
  oneMinusB: number;
}

/** MiniSearch's idf of a term in a field: how many of the documents it is found in, by its own formula. */
export function inverseFrequency(documentCount: number, matching: number): number {
  return Math.log(1 + (documentCount - matching + 0.5) / (matching + 0.5));
}

/**
 * MiniSearch's `weight * fieldBoost * (idf * (d + (tf * (k + 1)) / (tf + k * (1 - b + (b * length) / avg))))`
 * with `weight * fieldBoost` (`weighted`), idf, `k + 1` and `1 - b` computed
 * once by the caller: the same operands in the same order, so the same
 * number to the last bit.
 */
export function bm25Value(weighted: number, idf: number, tf: number, length: number, avg: number, bm25: Bm25): number {
  return weighted * (idf * (bm25.d + (tf * bm25.k1) / (tf + bm25.k * (bm25.oneMinusB + (bm25.b * length) / avg))));
}

/**
 * Where a term's score for a page of this frequency and field length is
 * kept, once computed: one small integer for the two (-1, not kept, when
 * either is not a whole number in range: each key stands for one pair).
 */
export function scoreKey(tf: number, length: number): number {
  return tf === (tf & 1023) && length === (length & 1048575) ? length * 1024 + tf : -1;
}

/** Adds a page's score for a term in a field to a word's scores. */
export function addScore(r: WordScores, docId: number, value: number): void {
  if (r.has[docId]) r.scores[docId] = r.scores[docId]! + value;
  else {
    r.has[docId] = 1;
    r.scores[docId] = value;
    r.order[r.count++] = docId;
  }
}

/**
 * Adds a term's postings in one field to a word's scores (see bm25Value),
 * in one loop that allocates nothing per posting (it runs interpreted in a
 * one-query command). A term's score in a field depends only on the page's frequency
 * and field length, so it is computed once per pair seen and then reused
 * (the same number object: nothing allocated per posting). False at a page
 * no longer in the index (MiniSearch's maps then drop its postings as
 * MiniSearch does).
 */
export function addPostings(
  r: WordScores,
  data: Numbers,
  start: number,
  end: number,
  at: Int32Array,
  lengths: Numbers,
  fieldCount: number,
  fieldId: number,
  weighted: number,
  idf: number,
  avg: number,
  bm25: Bm25,
): boolean {
  const { scores, has, order } = r;
  const known = new Map<number, number>();
  let count = r.count;
  let live = true;
  for (let j = start; j < end; j += 2) {
    const docId = data[j]!;
    if (!(at[docId]! >= 0)) {
      live = false;
      break;
    }
    const tf = data[j + 1]!;
    const length = lengths[docId * fieldCount + fieldId]!;
    // scoreKey, written out: a call per posting costs in this loop.
    const key = tf === (tf & 1023) && length === (length & 1048575) ? length * 1024 + tf : -1;
    let value = key < 0 ? undefined : known.get(key);
    if (value === undefined) {
      value = bm25Value(weighted, idf, tf, length, avg, bm25);
      if (key >= 0) known.set(key, value);
    }
    if (has[docId]) scores[docId] = scores[docId]! + value;
    else {
      has[docId] = 1;
      scores[docId] = value;
      order[count++] = docId;
    }
  }
  r.count = count;
  return live;
}

/*
 * The loops over every matching page are small functions of their own: a
 * loop that runs long gets its function compiled by the optimizer while it
 * runs, and for the whole of `scoredTop` that took longer than the loop.
 */

/**
 * Each page that matches (AND: every word scored it; OR: any did) in
 * MiniSearch's order (AND: the order the last word scored them; OR: each
 * word's new pages after the earlier words'), with its total as MiniSearch
 * makes it (its words' scores summed in query order, times the number of
 * distinct words it has), handed to `offer` unless it cannot enter the
 * best: `offer` answers the score a later page must beat (-Infinity while
 * the best are not full).
 */
export function eachContender(perWord: WordScores[], words: string[], combine: string, size: number, offer: (docId: number, total: number) => number): void {
  const n = perWord.length;
  const has = perWord.map((r) => r.has);
  const scores = perWord.map((r) => r.scores);
  // A word typed twice counts once among a page's terms.
  const repeated = words.map((word, w) => words.indexOf(word) !== w);
  let floor = -Infinity;
  if (combine === 'and') {
    const distinct = repeated.filter((r) => !r).length;
    const last = perWord[n - 1]!;
    for (let i = 0; i < last.count; i++) {
      const docId = last.order[i]!;
      let all = true;
      for (let w = 0; w < n - 1 && all; w++) all = has[w]![docId] === 1;
      if (!all) continue;
      let sum = scores[0]![docId]!;
      for (let w = 1; w < n; w++) sum = sum + scores[w]![docId]!;
      const total = sum * distinct;
      if (total <= floor) continue;
      floor = offer(docId, total);
    }
    return;
  }
  const seen = new Uint8Array(size);
  for (const r of perWord) {
    for (let i = 0; i < r.count; i++) {
      const docId = r.order[i]!;
      if (seen[docId]) continue;
      seen[docId] = 1;
      let sum = 0;
      let first = true;
      let present = 0;
      for (let w = 0; w < n; w++) {
        if (!has[w]![docId]) continue;
        sum = first ? scores[w]![docId]! : sum + scores[w]![docId]!;
        first = false;
        if (!repeated[w] || !has.some((h, v) => v < w && words[v] === words[w] && h[docId])) present++;
      }
      const total = sum * (present || 1);
      if (total <= floor) continue;
      floor = offer(docId, total);
    }
  }
}

/** Puts an item among the best `limit` by score, after any of equal score (the order of a stable sort), the last one out. */
export function placeAmongBest<I extends { score: number }>(best: I[], limit: number, item: I): void {
  let at = best.length;
  while (at > 0 && best[at - 1]!.score < item.score) at--;
  best.splice(at, 0, item);
  if (best.length > limit) best.pop();
}

/** A document table as written: the id of the document at each place in it. */
export function idAt(table: Table, place: number): unknown {
  const text = nameAt(table.names, place);
  return table.idsAsJson ? JSON.parse(text) : text;
}

export interface Table {
  documentCount: number;
  nextId: number;
  fieldIds: Record<string, number>;
  averageFieldLength: number[];
  dirtCount: number;
  /** The documents' short ids, in MiniSearch's order. */
  shortIds: Numbers;
  /** The documents' ids (in shortIds' order), front-coded. */
  names: FrontCoded;
  /** Whether each id is written as JSON (when not all are strings). */
  idsAsJson: boolean;
  /** Each short id's field lengths, one field count apart (0 for a short id no document holds). */
  lengths: Numbers;
}
