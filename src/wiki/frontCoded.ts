/**
 * A list of names stored front-coded, as the search index file keeps its
 * page names: each name is the bytes it shares with the one before (one
 * byte: how many) and the rest (its length, then its bytes). Page names in
 * name order share most of their bytes ("umano/topic-3/page-1204",
 * "umano/topic-3/page-1205"), so the list takes a fraction of the plain
 * text, and a query that needs ten of 10,000 names reads and decodes only
 * that fraction. Every RESTART-th name is whole, with its byte offset in
 * `restarts`, so one name is decoded from the restart before it.
 */
export interface FrontCoded {
  bytes: Buffer;
  /** The byte offset of every RESTART-th name, then the length of `bytes`. */
  restarts: Uint32Array;
}

export const RESTART = 16;

export function restartCount(count: number): number {
  return Math.ceil(count / RESTART) + 1;
}

export function encodeNames(texts: readonly string[]): FrontCoded {
  const restarts = new Uint32Array(restartCount(texts.length));
  // Into one buffer, each name's bytes written into a scratch buffer reused for the next (a Buffer per name and a
  // concatenation of all of them cost most of the encoding): UTF-8 takes at most 3 bytes per UTF-16 unit, a length 5.
  let bound = 0;
  for (const text of texts) bound += 3 * text.length + 6;
  const out = Buffer.allocUnsafe(bound);
  let offset = 0;
  let previous = Buffer.allocUnsafe(256);
  let previousLength = 0;
  let current = Buffer.allocUnsafe(256);
  texts.forEach((text, i) => {
    if (current.length < 3 * text.length) current = Buffer.allocUnsafe(2 * 3 * text.length);
    const length = current.write(text, 0, 'utf8');
    let shared = 0;
    if (i % RESTART === 0) restarts[i / RESTART] = offset;
    else {
      const most = Math.min(255, previousLength, length);
      while (shared < most && previous[shared] === current[shared]) shared++;
    }
    out[offset++] = shared;
    // The rest's length, 7 bits a byte, the last byte without the high bit.
    for (let rest = length - shared; ; rest = Math.floor(rest / 128)) {
      if (rest < 128) {
        out[offset++] = rest;
        break;
      }
      out[offset++] = (rest % 128) | 128;
    }
    offset += current.copy(out, offset, shared, length);
    [previous, current] = [current, previous];
    previousLength = length;
  });
  restarts[restarts.length - 1] = offset;
  return { bytes: out.subarray(0, offset), restarts };
}

/** Decodes names one after another from a restart; the current name's bytes are kept in a buffer reused for the next. */
class NameReader {
  private name = Buffer.allocUnsafe(256);
  private length = 0;
  private at: number;

  constructor(
    private readonly names: FrontCoded,
    restart: number,
  ) {
    this.at = names.restarts[restart]!;
  }

  next(): void {
    const bytes = this.names.bytes;
    if (this.at >= bytes.length) throw new Error('the names end early');
    const shared = bytes[this.at++]!;
    let rest = 0;
    for (let scale = 1; ; scale *= 128) {
      const byte = bytes[this.at++]!;
      rest += (byte & 127) * scale;
      if (byte < 128) break;
    }
    if (shared > this.length || this.at + rest > bytes.length) throw new Error('a name is damaged');
    if (shared + rest > this.name.length) {
      const bigger = Buffer.allocUnsafe(2 * (shared + rest));
      this.name.copy(bigger, 0, 0, shared);
      this.name = bigger;
    }
    // Byte by byte: the rest of a name is a few bytes, for which Buffer's copy costs far more than the copying.
    const name = this.name;
    for (let i = 0; i < rest; i++) name[shared + i] = bytes[this.at + i]!;
    this.at += rest;
    this.length = shared + rest;
  }

  text(): string {
    return this.name.toString('utf8', 0, this.length);
  }
}

/** The name at a place in the list. */
export function nameAt(names: FrontCoded, place: number): string {
  const reader = new NameReader(names, Math.floor(place / RESTART));
  for (let i = place - (place % RESTART); i <= place; i++) reader.next();
  return reader.text();
}

/** Each of the first `count` names, in order. */
export function eachName(names: FrontCoded, count: number, each: (place: number, name: string) => void): void {
  const reader = new NameReader(names, 0);
  for (let place = 0; place < count; place++) {
    reader.next();
    each(place, reader.text());
  }
}
