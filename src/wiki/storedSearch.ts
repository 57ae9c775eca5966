import MiniSearch, { type MatchInfo, type Options, type SearchOptions, type SearchResult } from 'minisearch';
import { shardKey } from './shards.js';

/*
 * The wiki's MiniSearch, filled from and written to the index file's columns
 * (src/wiki/indexFile.ts holds the file), and the plain-query scoring that reads
 * those columns as they are, with MiniSearch's own arithmetic and order.
 */

/** The part of MiniSearch's term tree (its SearchableMap) used here. */
interface SearchableIndex<V> extends Iterable<[string, V]> {
  get(term: string): V | undefined;
  set(term: string, value: V): unknown;
  atPrefix(prefix: string): Iterable<[string, V]>;
}

/** MiniSearch's postings of one term: by field id, each page's frequency by short id. */
type FieldData = Map<number, Map<number, number>>;

/** A term's postings in one field (from the file's columns), or undefined. */
function fieldPostings(postings: Postings, fieldId: number): number[] | undefined {
  for (let i = 0; i < postings.length; i += 2) if (postings[i] === fieldId) return postings[i + 1] as number[];
  return undefined;
}

const inIdOrder = new WeakMap<number[], boolean>();

/** Whether a field's postings hold a page: by halves when they are in id order (as written), else one by one. */
function hasPosting(flat: number[] | undefined, docId: number): boolean {
  if (!flat) return false;
  let sorted = inIdOrder.get(flat);
  if (sorted === undefined) {
    sorted = true;
    for (let j = 2; j < flat.length && sorted; j += 2) sorted = flat[j - 2]! < flat[j]!;
    inIdOrder.set(flat, sorted);
  }
  if (!sorted) {
    for (let j = 0; j < flat.length; j += 2) if (flat[j] === docId) return true;
    return false;
  }
  let lo = 0;
  let hi = flat.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = flat[2 * mid]!;
    if (at === docId) return true;
    if (at < docId) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** A term's postings: [fieldId, [shortId, frequency, shortId, frequency…], fieldId, […]…]. */
export type Postings = Array<number | number[]>;

export interface Table {
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
    const fast = this.scoredTop(query, options, limit);
    if (fast) return fast;
    const raw = (this as unknown as { executeQuery(q: string, o: SearchOptions): Map<number, { score: number; terms: string[]; match: MatchInfo }> }).executeQuery(query, options);
    const filter = { ...this._options.searchOptions, ...options }.filter;
    const best: SearchResult[] = [];
    for (const [docId, { score: sum, terms, match }] of raw) {
      const score = sum * (terms.length || 1);
      // A full list keeps its earlier equal: a later one with no higher score cannot get in.
      if (best.length >= limit && score <= best[best.length - 1]!.score) continue;
      this.offerHit(best, limit, filter, docId, this._documentIds.get(docId), score, terms, match);
    }
    return best;
  }

  /**
   * `top` for a plain query (exact and prefix matches, AND or OR, no fuzzy
   * matching, no boosting functions): MiniSearch's own scoring, step by step
   * in its order (so every score is the same number and ties fall the same
   * way), but into one array of scores per query word instead of a result
   * object with its term list and match record for each of thousands of
   * matching pages; those are made only for the few hits kept. Null when the
   * query needs MiniSearch's general path.
   */
  private scoredTop(query: string, options: SearchOptions, limit: number): SearchResult[] | null {
    const opts = { tokenize: this._options.tokenize, processTerm: this._options.processTerm, ...this._options.searchOptions, ...options };
    const combine = String(opts.combineWith ?? 'or').toLowerCase();
    if (opts.fuzzy || opts.boostDocument || opts.boostTerm || (opts.prefix !== true && opts.prefix !== false && opts.prefix !== undefined)) return null;
    if (combine !== 'and' && combine !== 'or') return null;
    const words = opts.tokenize!(query)
      .flatMap((t) => opts.processTerm!(t))
      .filter((t): t is string => !!t);
    if (words.length === 0) return [];
    const fieldNames = opts.fields ?? this._options.fields;
    const boosts: Array<[string, number]> = fieldNames.map((f) => [f, (Object.hasOwn(opts.boost ?? {}, f) ? opts.boost![f] : 0) || 1]);
    const weights = opts.weights as { prefix?: number } | undefined;
    const prefixWeight = weights && 'prefix' in weights ? weights.prefix! : 0.375;
    const { k, b, d } = opts.bm25 ?? { k: 1.2, b: 0.7, d: 0.5 };
    const size = this._nextId;
    type WordResult = { scores: Float64Array; has: Uint8Array; order: number[]; derived: Array<[string, FieldData | Postings]> };
    const score = (r: WordResult, docId: number, weight: number, fieldBoost: number, tf: number, length: number, avg: number, matching: number) => {
      const idf = Math.log(1 + (this._documentCount - matching + 0.5) / (matching + 0.5));
      const value = weight * fieldBoost * (idf * (d + (tf * (k + 1)) / (tf + k * (1 - b + (b * length) / avg))));
      if (r.has[docId]) r.scores[docId] = r.scores[docId]! + value;
      else {
        r.has[docId] = 1;
        r.scores[docId] = value;
        r.order.push(docId);
      }
    };
    /** One word's scores from MiniSearch's maps. */
    const fromMaps = (word: string): WordResult => {
      const index = this._index as unknown as SearchableIndex<FieldData>;
      const removeTerm = (this as unknown as { removeTerm(f: number, d: number, t: string): void }).removeTerm.bind(this);
      const r: WordResult = { scores: new Float64Array(size), has: new Uint8Array(size), order: [], derived: [] };
      const add = (derived: string, weight: number, data: FieldData | undefined) => {
        if (data == null) return;
        r.derived.push([derived, data]);
        for (const [field, fieldBoost] of boosts) {
          const fieldId = this._fieldIds[field]!;
          const freqs = data.get(fieldId);
          if (freqs == null) continue;
          let matching = freqs.size;
          const avg = this._avgFieldLength[fieldId]!;
          for (const docId of freqs.keys()) {
            if (!this._documentIds.has(docId)) {
              // A discarded page's postings go as MiniSearch's own search drops them (which moves the weight of the word).
              removeTerm(fieldId, docId, derived);
              matching -= 1;
              continue;
            }
            score(r, docId, weight, fieldBoost, freqs.get(docId)!, this._fieldLength.get(docId)![fieldId]!, avg, matching);
          }
        }
      };
      add(word, 1, index.get(word));
      if (opts.prefix === true) {
        for (const [term, data] of index.atPrefix(word)) {
          const distance = term.length - word.length;
          if (!distance) continue;
          add(term, (prefixWeight * term.length) / (term.length + 0.3 * distance), data);
        }
      }
      return r;
    };
    /** One word's scores from the columns as read, or null at a discarded page's postings (MiniSearch's maps then drop them as it does). */
    const fromColumns = (word: string): WordResult | null => {
      const lazy = this.lazy!;
      const fieldCount = Object.keys(this._fieldIds).length;
      const r: WordResult = { scores: new Float64Array(size), has: new Uint8Array(size), order: [], derived: [] };
      const add = (derived: string, weight: number, postings: Postings | undefined): boolean => {
        if (postings == null) return true;
        r.derived.push([derived, postings]);
        for (const [field, fieldBoost] of boosts) {
          const fieldId = this._fieldIds[field]!;
          const flat = fieldPostings(postings, fieldId);
          if (!flat) continue;
          const matching = flat.length / 2;
          const avg = this._avgFieldLength[fieldId]!;
          for (let j = 0; j < flat.length; j += 2) {
            const docId = flat[j]!;
            if (!lazy.live[docId]) return false;
            score(r, docId, weight, fieldBoost, flat[j + 1]!, lazy.lengths[docId * fieldCount + fieldId]!, avg, matching);
          }
        }
        return true;
      };
      if (!add(word, 1, lazy.terms.get(word))) return null;
      if (opts.prefix === true) {
        for (const [term, postings] of lazy.terms.atPrefix(word)) {
          const distance = term.length - word.length;
          if (!distance) continue;
          if (!add(term, (prefixWeight * term.length) / (term.length + 0.3 * distance), postings)) return null;
        }
      }
      return r;
    };
    let perWord: WordResult[] | null = null;
    if (this.lazy) {
      perWord = [];
      for (const word of words) {
        const r = fromColumns(word);
        if (!r) {
          perWord = null;
          break;
        }
        perWord.push(r);
      }
    }
    if (!perWord) perWord = words.map(fromMaps);
    const lazy = this.lazy;
    const idOf = (docId: number) => (lazy ? lazy.table.ids[lazy.at[docId]!] : this._documentIds.get(docId));
    const inField = (data: FieldData | Postings, fieldId: number, docId: number): boolean => (Array.isArray(data) ? hasPosting(fieldPostings(data, fieldId), docId) : !!data.get(fieldId)?.has(docId));
    // The pages in MiniSearch's order: AND keeps the last word's order, OR adds each word's new pages after the earlier ones.
    let order: number[];
    if (combine === 'and') order = perWord[perWord.length - 1]!.order.filter((docId) => perWord.every((r) => r.has[docId]));
    else {
      const seen = new Uint8Array(size);
      order = [];
      for (const r of perWord) {
        for (const docId of r.order) {
          if (seen[docId]) continue;
          seen[docId] = 1;
          order.push(docId);
        }
      }
    }
    const filter = opts.filter;
    const best: SearchResult[] = [];
    for (const docId of order) {
      let sum = 0;
      let first = true;
      const terms: string[] = [];
      for (let w = 0; w < perWord.length; w++) {
        const r = perWord[w]!;
        if (!r.has[docId]) continue;
        sum = first ? r.scores[docId]! : sum + r.scores[docId]!;
        first = false;
        if (!terms.includes(words[w]!)) terms.push(words[w]!);
      }
      const total = sum * (terms.length || 1);
      if (best.length >= limit && total <= best[best.length - 1]!.score) continue;
      const match: MatchInfo = {};
      for (const r of perWord) {
        if (!r.has[docId]) continue;
        for (const [derived, data] of r.derived) {
          const fields: string[] = [];
          for (const [field] of boosts) if (inField(data, this._fieldIds[field]!, docId)) fields.push(field);
          if (fields.length) match[derived] = fields;
        }
      }
      this.offerHit(best, limit, filter, docId, idOf(docId), total, terms, match);
    }
    return best;
  }

  /** Puts a page among the best `limit` hits (by score; among equals, the earlier stays first), unless the filter drops it. */
  private offerHit(best: SearchResult[], limit: number, filter: SearchOptions['filter'], docId: number, id: unknown, score: number, queryTerms: string[], match: MatchInfo): void {
    const result: SearchResult = { id, score, terms: Object.keys(match), queryTerms, match };
    Object.assign(result, this._storedFields.get(docId));
    if (filter && !filter(result)) return;
    let at = best.length;
    while (at > 0 && best[at - 1]!.score < score) at--;
    best.splice(at, 0, result);
    if (best.length > limit) best.pop();
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

  /**
   * The file's columns as they were read, while no MiniSearch method has
   * needed its own maps: a query of the plain kind is scored from them
   * (see `flatTop`), and the first use of anything else turns them into
   * MiniSearch's maps (`materialize`). Building those maps for the 10,000
   * postings of a common word, and a map entry per page, was most of a
   * one-query command's work after the look.
   */
  private lazy: { table: Table; terms: SearchableIndex<Postings>; live: Uint8Array; at: Int32Array; lengths: Float64Array } | null = null;

  private fill(table: Table, terms: Array<[string, Postings]>): void {
    this._documentCount = table.documentCount;
    this._nextId = table.nextId;
    this._fieldIds = table.fieldIds;
    this._avgFieldLength = table.averageFieldLength;
    this._dirtCount = table.dirtCount;
    const fieldCount = Object.keys(table.fieldIds).length;
    const size = table.nextId;
    const live = new Uint8Array(size);
    const at = new Int32Array(size);
    for (let i = 0; i < table.ids.length; i += 2) {
      const shortId = table.ids[i] as number;
      live[shortId] = 1;
      at[shortId] = i + 1;
    }
    const lengths = new Float64Array(size * fieldCount);
    for (let i = 0; i < table.lengths.length; i += fieldCount + 1) {
      const shortId = table.lengths[i]!;
      for (let f = 0; f < fieldCount; f++) lengths[shortId * fieldCount + f] = table.lengths[i + 1 + f]!;
    }
    // The terms go into MiniSearch's own tree, in the file's order, so a prefix lists them as it would once materialized.
    const index = this._index as unknown as SearchableIndex<Postings>;
    for (const [term, postings] of terms) index.set(term, postings);
    this.lazy = { table, terms: index, live, at, lengths };
    for (const field of ['_index', '_documentIds', '_idToShortId', '_fieldLength'] as const) {
      Object.defineProperty(this, field, {
        configurable: true,
        enumerable: true,
        get: () => {
          this.materialize();
          return this[field];
        },
        set: (value: unknown) => {
          this.materialize();
          (this as Record<string, unknown>)[field] = value;
        },
      });
    }
  }

  /** MiniSearch's own maps from the columns read (the first time anything but a plain query needs them). */
  private materialize(): void {
    const lazy = this.lazy;
    if (!lazy) return;
    this.lazy = null;
    const self = this as Record<string, unknown>;
    for (const field of ['_index', '_documentIds', '_idToShortId', '_fieldLength']) delete self[field];
    const { table, terms } = lazy;
    const fieldCount = Object.keys(table.fieldIds).length;
    self._documentIds = new Map();
    self._idToShortId = new Map();
    self._fieldLength = new Map();
    self._index = terms;
    for (let i = 0; i < table.ids.length; i += 2) {
      const shortId = table.ids[i] as number;
      const id = table.ids[i + 1] as string;
      this._documentIds.set(shortId, id);
      this._idToShortId.set(id, shortId);
    }
    for (let i = 0; i < table.lengths.length; i += fieldCount + 1) this._fieldLength.set(table.lengths[i]!, table.lengths.slice(i + 1, i + 1 + fieldCount));
    const convert: Array<[string, FieldData]> = [];
    for (const [term, postings] of terms as unknown as Iterable<[string, Postings]>) {
      const fields: FieldData = new Map();
      for (let i = 0; i < postings.length; i += 2) {
        const flat = postings[i + 1] as number[];
        const freqs = new Map<number, number>();
        for (let j = 0; j < flat.length; j += 2) freqs.set(flat[j]!, flat[j + 1]!);
        fields.set(postings[i] as number, freqs);
      }
      convert.push([term, fields]);
    }
    // Set in place: the tree keeps its shape, so prefixes list terms in the same order.
    for (const [term, fields] of convert) (terms as unknown as SearchableIndex<FieldData>).set(term, fields);
  }
}
