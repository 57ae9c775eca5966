import MiniSearch, { type MatchInfo, type Options, type SearchOptions, type SearchResult } from 'minisearch';
import {
  addPostings,
  addScore,
  bm25Value,
  inverseFrequency,
  scoreKey,
  type Bm25,
  eachContender,
  type FieldData,
  fieldSlot,
  hasPosting,
  idAt,
  PLACE,
  placeAmongBest,
  type Postings,
  type Shard,
  type Table,
  type WordScores,
  wordScores,
} from './columns.js';
import { eachName, encodeNames } from './frontCoded.js';
import { shardKey } from './shards.js';

/*
 * The wiki's MiniSearch, filled from and written to the index file's columns
 * (src/wiki/indexFile.ts holds the file; columns.ts the columns as read and
 * the scoring over them), and the plain-query path that reads those columns
 * as they are, with MiniSearch's own arithmetic and order.
 */

/** The part of MiniSearch's term tree (its SearchableMap) used here. */
interface SearchableIndex<V> extends Iterable<[string, V]> {
  get(term: string): V | undefined;
  set(term: string, value: V): unknown;
  atPrefix(prefix: string): Iterable<[string, V]>;
}

/**
 * What a query word is scored from, in MiniSearch's order: the word itself
 * (weight 1), then with `prefix` every longer term it starts, each with
 * MiniSearch's prefix weight.
 */
function* derivedTerms<V>(index: SearchableIndex<V>, word: string, prefix: boolean, prefixWeight: number): Generator<[string, number, V | undefined]> {
  yield [word, 1, index.get(word)];
  if (!prefix) return;
  for (const [term, value] of index.atPrefix(word)) {
    const distance = term.length - word.length;
    if (distance) yield [term, (prefixWeight * term.length) / (term.length + 0.3 * distance), value];
  }
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
      this.offerHit(best, limit, filter, this.hit(docId, this._documentIds.get(docId), score, terms, match));
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
    const bm25: Bm25 = { k, b, d, k1: k + 1, oneMinusB: 1 - b };
    const size = this._nextId;
    /** One word's scores from MiniSearch's maps. */
    const fromMaps = (word: string): WordScores => {
      const index = this._index as unknown as SearchableIndex<FieldData>;
      const removeTerm = (this as unknown as { removeTerm(f: number, d: number, t: string): void }).removeTerm.bind(this);
      const r = wordScores(size);
      const add = (derived: string, weight: number, data: FieldData | undefined) => {
        if (data == null) return;
        r.derived.push([derived, data]);
        for (const [field, fieldBoost] of boosts) {
          const fieldId = this._fieldIds[field]!;
          const freqs = data.get(fieldId);
          if (freqs == null) continue;
          let matching = freqs.size;
          let idf = inverseFrequency(this._documentCount, matching);
          let known = new Map<number, number>();
          const weighted = weight * fieldBoost;
          const avg = this._avgFieldLength[fieldId]!;
          for (const docId of freqs.keys()) {
            if (!this._documentIds.has(docId)) {
              // A discarded page's postings go as MiniSearch's own search drops them (which moves the weight of the word).
              removeTerm(fieldId, docId, derived);
              matching -= 1;
              idf = inverseFrequency(this._documentCount, matching);
              known = new Map();
              continue;
            }
            const tf = freqs.get(docId)!;
            const length = this._fieldLength.get(docId)![fieldId]!;
            const key = scoreKey(tf, length);
            let value = key < 0 ? undefined : known.get(key);
            if (value === undefined) {
              value = bm25Value(weighted, idf, tf, length, avg, bm25);
              if (key >= 0) known.set(key, value);
            }
            addScore(r, docId, value);
          }
        }
      };
      for (const [term, weight, data] of derivedTerms(index, word, opts.prefix === true, prefixWeight)) add(term, weight, data);
      return r;
    };
    /** One word's scores from the columns as read, or null at a discarded page's postings (MiniSearch's maps then drop them as it does). */
    const fromColumns = (word: string): WordScores | null => {
      const lazy = this.lazy!;
      const fieldCount = Object.keys(this._fieldIds).length;
      const r = wordScores(size);
      const add = (derived: string, weight: number, postings: Postings | undefined): boolean => {
        if (postings == null) return true;
        r.derived.push([derived, postings]);
        for (const [field, fieldBoost] of boosts) {
          const fieldId = this._fieldIds[field]!;
          const slot = fieldSlot(postings, fieldId);
          if (slot < 0) continue;
          const start = postings.fields[slot + 1]!;
          const end = postings.fields[slot + 2]!;
          const idf = inverseFrequency(this._documentCount, (end - start) / 2);
          if (!addPostings(r, postings.data, start, end, lazy.at, lazy.table.lengths, fieldCount, fieldId, weight * fieldBoost, idf, this._avgFieldLength[fieldId]!, bm25)) return false;
        }
        return true;
      };
      for (const [term, weight, postings] of derivedTerms(lazy.terms, word, opts.prefix === true, prefixWeight)) if (!add(term, weight, postings)) return null;
      return r;
    };
    let perWord: WordScores[] | null = null;
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
    const idOf = (docId: number) => (lazy ? idAt(lazy.table, lazy.at[docId]!) : this._documentIds.get(docId));
    const inField = (data: FieldData | Postings, fieldId: number, docId: number): boolean => (data instanceof Map ? !!data.get(fieldId)?.has(docId) : hasPosting(data, fieldId, docId));
    /** A kept page's result, as MiniSearch's own search makes it. */
    const hitOf = (docId: number, total: number): SearchResult => {
      const terms: string[] = [];
      const match: MatchInfo = {};
      for (let w = 0; w < perWord.length; w++) {
        const r = perWord[w]!;
        if (!r.has[docId]) continue;
        if (!terms.includes(words[w]!)) terms.push(words[w]!);
        for (const [derived, data] of r.derived) {
          const fields: string[] = [];
          for (const [field] of boosts) if (inField(data, this._fieldIds[field]!, docId)) fields.push(field);
          if (fields.length) match[derived] = fields;
        }
      }
      return this.hit(docId, idOf(docId), total, terms, match);
    };
    const filter = opts.filter;
    if (filter) {
      const best: SearchResult[] = [];
      eachContender(perWord, words, combine, size, (docId, total) => {
        this.offerHit(best, limit, filter, hitOf(docId, total));
        return best.length >= limit && best.length > 0 ? best[best.length - 1]!.score : -Infinity;
      });
      return best;
    }
    // Without a filter a page's place depends on its score alone: results are made only for the pages kept.
    const kept: Array<{ docId: number; score: number }> = [];
    eachContender(perWord, words, combine, size, (docId, score) => {
      placeAmongBest(kept, limit, { docId, score });
      return kept.length >= limit && kept.length > 0 ? kept[kept.length - 1]!.score : -Infinity;
    });
    return kept.map(({ docId, score }) => hitOf(docId, score));
  }

  /** A page's result as MiniSearch's search makes it (its stored fields included). */
  private hit(docId: number, id: unknown, score: number, queryTerms: string[], match: MatchInfo): SearchResult {
    const result: SearchResult = { id, score, terms: Object.keys(match), queryTerms, match };
    Object.assign(result, this._storedFields.get(docId));
    return result;
  }

  /** Puts a result among the best `limit` (by score; among equals, the earlier stays first), unless the filter drops it. */
  private offerHit(best: SearchResult[], limit: number, filter: SearchOptions['filter'], result: SearchResult): void {
    if (filter && !filter(result)) return;
    placeAmongBest(best, limit, result);
  }

  /**
   * MiniSearch's own vacuum (its `performVacuuming`), done at once instead of
   * in batches between timers: the postings of pages discarded since are
   * dropped. The index file is written vacuumed, so that a query in a later
   * process can be scored from the file's columns: a discarded page's
   * postings would send it through MiniSearch's maps, all of them built.
   */
  vacuumNow(): void {
    const index = this._index as unknown as SearchableIndex<FieldData> & { delete(term: string): void };
    const gone: string[] = [];
    for (const [term, fields] of index) {
      for (const [fieldId, freqs] of fields) {
        for (const [shortId] of freqs) {
          if (this._documentIds.has(shortId)) continue;
          if (freqs.size <= 1) fields.delete(fieldId);
          else freqs.delete(shortId);
        }
      }
      if (fields.size === 0) gone.push(term);
    }
    for (const term of gone) index.delete(term);
    this._dirtCount = 0;
  }

  /** The index as the file's document table and its terms grouped by shard. */
  toColumns(): { table: Table; shards: Map<string, Shard> } {
    const fieldCount = Object.keys(this._fieldIds).length;
    const shortIds = new Uint32Array(this._documentIds.size);
    const idsAsJson = [...this._documentIds.values()].some((id) => typeof id !== 'string');
    const texts: string[] = [];
    for (const [shortId, id] of this._documentIds) {
      shortIds[texts.length] = shortId;
      texts.push(idsAsJson ? JSON.stringify(id) : (id as string));
    }
    const lengths = new Uint32Array(this._nextId * fieldCount);
    // A field a document lacks has no length (and no terms to score it by).
    for (const [shortId, list] of this._fieldLength) for (let f = 0; f < fieldCount; f++) lengths[shortId * fieldCount + f] = list[f] ?? 0;
    // Two passes over the terms: the first sizes each shard's postings, the second fills them.
    const sizes = new Map<string, number>();
    for (const [term, fields] of this._index) {
      let n = 0;
      for (const freqs of fields.values()) n += 2 * freqs.size;
      const key = shardKey(term);
      sizes.set(key, (sizes.get(key) ?? 0) + n);
    }
    const shards = new Map<string, Shard & { filled: number }>();
    for (const [term, fields] of this._index) {
      const key = shardKey(term);
      let shard = shards.get(key);
      if (!shard) shards.set(key, (shard = { terms: [], data: new Uint32Array(sizes.get(key)!), filled: 0 }));
      const places: number[] = [];
      for (const [fieldId, freqs] of fields) {
        const start = shard.filled;
        let ascending = 1;
        for (const [shortId, freq] of freqs) {
          if (shard.filled > start && shard.data[shard.filled - 2]! >= shortId) ascending = 0;
          shard.data[shard.filled++] = shortId;
          shard.data[shard.filled++] = freq;
        }
        places.push(fieldId, start, shard.filled, ascending);
      }
      shard.terms.push([term, places]);
    }
    const table: Table = {
      documentCount: this._documentCount,
      nextId: this._nextId,
      fieldIds: this._fieldIds,
      averageFieldLength: this._avgFieldLength,
      dirtCount: this._dirtCount,
      shortIds,
      names: encodeNames(texts),
      idsAsJson,
      lengths,
    };
    return { table, shards: new Map([...shards].map(([key, { terms, data }]) => [key, { terms, data }])) };
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
   * (see `scoredTop`), and the first use of anything else turns them into
   * MiniSearch's maps (`materialize`). Building those maps for the 10,000
   * postings of a common word, and a map entry per page, was most of a
   * one-query command's work after the look.
   */
  private lazy: { table: Table; terms: SearchableIndex<Postings>; at: Int32Array } | null = null;

  private fill(table: Table, terms: Array<[string, Postings]>): void {
    this._documentCount = table.documentCount;
    this._nextId = table.nextId;
    this._fieldIds = table.fieldIds;
    this._avgFieldLength = table.averageFieldLength;
    this._dirtCount = table.dirtCount;
    // Each short id's place in the table, -1 for one no document holds (a page discarded before the file was written).
    const at = new Int32Array(table.nextId).fill(-1);
    for (let i = 0; i < table.shortIds.length; i++) at[table.shortIds[i]!] = i;
    // The terms go into MiniSearch's own tree, in the file's order, so a prefix lists them as it would once materialized.
    const index = this._index as unknown as SearchableIndex<Postings>;
    for (const [term, postings] of terms) index.set(term, postings);
    this.lazy = { table, terms: index, at };
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
    const { shortIds, lengths } = table;
    eachName(table.names, shortIds.length, (i, text) => {
      const shortId = shortIds[i]!;
      const id = table.idsAsJson ? JSON.parse(text) : text;
      this._documentIds.set(shortId, id);
      this._idToShortId.set(id, shortId);
      // A plain loop: a typed subarray and Array.from for each of 10,000 pages cost most of this.
      const list: number[] = [];
      for (let f = 0, at = shortId * fieldCount; f < fieldCount; f++, at++) list.push(lengths[at]!);
      this._fieldLength.set(shortId, list);
    });
    const convert: Array<[string, FieldData]> = [];
    for (const [term, { data, fields: places }] of terms as unknown as Iterable<[string, Postings]>) {
      const fields: FieldData = new Map();
      for (let i = 0; i < places.length; i += PLACE) {
        const freqs = new Map<number, number>();
        for (let j = places[i + 1]!; j < places[i + 2]!; j += 2) freqs.set(data[j]!, data[j + 1]!);
        fields.set(places[i]!, freqs);
      }
      convert.push([term, fields]);
    }
    // Set in place: the tree keeps its shape, so prefixes list terms in the same order.
    for (const [term, fields] of convert) (terms as unknown as SearchableIndex<FieldData>).set(term, fields);
  }
}
