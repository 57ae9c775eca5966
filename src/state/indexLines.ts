/**
 * The snapshot's index read a chunk at a time, its lines taken apart in
 * place: no object, no string per line (what a walk of 100,000 summaries
 * needs). Each chunk is read as Latin-1 text, one character per byte, so a
 * position in the text is a position in the bytes and the searches are
 * native ones.
 */

/** How much of the index is read at a time: a small chunk and its text are cheap to allocate (a big one costs more than reading it). */
const INDEX_CHUNK = 64 * 1024;

/**
 * One index line as it is in the ticket file: `[start, end)` (no newline) of
 * a chunk of the index's bytes `buf` and of the same bytes read as Latin-1
 * `text`, the positions of its nine tabs, and whether it is all printable
 * ASCII (`text` then reads it right; else its fields are UTF-8 in `buf`). A
 * line handed out as `simple` has ten fields and a title without escapes
 * (the text between its quotes is the title). Valid only during the visit.
 */
export interface IndexLine {
  buf: Buffer;
  text: string;
  start: number;
  end: number;
  tabs: number[];
  plain: boolean;
}

/** A chunk's lines, one after the other. */
export class IndexChunk implements IndexLine {
  start = 0;
  end = 0;
  readonly tabs = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  plain = true;
  private next = 0;
  // The next character that is not printable ASCII (or is a backslash): lines before it are taken as they are.
  private readonly special = /[^\t\n\x20-\x5b\x5d-\x7e]/g;
  private nextSpecial = -1;

  constructor(
    readonly buf: Buffer,
    readonly text: string,
    /** Where the chunk's whole lines end. */
    private readonly stop: number,
  ) {}

  /**
   * Moves to the chunk's next line: `simple` (ten fields, a title without
   * escapes), `other` (anything else: a damaged line, a title to unescape),
   * null at the chunk's end. A line without an id before a tab is no
   * ticket's and is passed over (as the table's map of the index does).
   */
  nextLine(): 'simple' | 'other' | null {
    const { text, tabs, stop } = this;
    while (this.next < stop) {
      const start = this.next;
      let end = text.indexOf('\n', start);
      if (end === -1 || end > stop) end = stop;
      this.next = end + 1;
      let count = 0;
      for (let at = start; count < 9; count++) {
        at = text.indexOf('\t', at);
        if (at === -1 || at >= end) break;
        tabs[count] = at++;
      }
      if (count === 0 || tabs[0] === start) continue;
      if (this.nextSpecial < start) {
        this.special.lastIndex = start;
        this.nextSpecial = this.special.exec(text)?.index ?? text.length;
      }
      this.start = start;
      this.end = end;
      this.plain = this.nextSpecial >= end;
      if (count < 9) return 'other';
      const title = tabs[8]! + 1;
      const extra = text.indexOf('\t', title);
      if (extra !== -1 && extra < end) return 'other';
      if (end - title < 2 || text.charCodeAt(title) !== 34 || text.charCodeAt(end - 1) !== 34) return 'other';
      return this.plain || !text.slice(title, end).includes('\\') ? 'simple' : 'other';
    }
    return null;
  }

  /** The current line's id. */
  id(): string {
    return this.plain ? this.text.slice(this.start, this.tabs[0]) : this.buf.toString('utf8', this.start, this.tabs[0]);
  }
}

/** The index `[0, size)` a chunk at a time, read by `read(buffer, length, offset)`. */
export function* indexChunks(size: number, read: (buffer: Buffer, length: number, offset: number) => void): Generator<IndexChunk, void, undefined> {
  let buf = Buffer.allocUnsafe(Math.max(1, Math.min(INDEX_CHUNK, size)));
  for (let offset = 0; offset < size; ) {
    const length = Math.min(buf.length, size - offset);
    read(buf, length, offset);
    const text = buf.toString('latin1', 0, length);
    const stop = offset + length === size ? length : text.lastIndexOf('\n') + 1;
    if (stop === 0) {
      // A line longer than the chunk: read it again into a bigger one.
      buf = Buffer.allocUnsafe(buf.length * 2);
      continue;
    }
    yield new IndexChunk(buf, text, stop);
    offset += stop;
  }
}

/**
 * The summary of the line an `IndexLine` is at, read field by field as it is
 * asked for: a test of the state or the date of 100,000 lines makes no
 * object and no string for the fields it does not read. Valid for a
 * `simple` line, during its visit only (one object serves every line).
 */
export class LineSummary {
  line: IndexLine | null = null;
  /** Each field's last value: a state, brand, repo, kind or priority repeats from line to line, and is then not made again. */
  private readonly last: string[] = ['', '', '', '', '', '', '', '', '', ''];

  private field(n: number): string {
    const { buf, text, start, end, tabs, plain } = this.line!;
    const from = n === 0 ? start : tabs[n - 1]! + 1;
    const to = n === 9 ? end : tabs[n]!;
    if (!plain) return buf.toString('utf8', from, to);
    const last = this.last[n]!;
    if (to - from === last.length && text.startsWith(last, from)) return last;
    return (this.last[n] = text.slice(from, to));
  }

  get id(): string {
    return this.field(0);
  }
  get state(): string {
    return this.field(3);
  }
  get brand(): string {
    return this.field(4);
  }
  get repo(): string {
    return this.field(5);
  }
  get kind(): string {
    return this.field(6);
  }
  get priority(): string {
    return this.field(7);
  }
  get updatedAt(): string {
    return this.field(8);
  }
  get title(): string {
    // A simple line's title is a JSON string without escapes: the text between its quotes.
    const { buf, text, end, tabs, plain } = this.line!;
    return plain ? text.slice(tabs[8]! + 2, end - 1) : buf.toString('utf8', tabs[8]! + 2, end - 1);
  }
  /** Where the ticket's own line is, from the start of the tickets. */
  get offset(): number {
    return Number(this.line!.text.slice(this.line!.tabs[0]! + 1, this.line!.tabs[1]));
  }
  get length(): number {
    return Number(this.line!.text.slice(this.line!.tabs[1]! + 1, this.line!.tabs[2]));
  }
}
