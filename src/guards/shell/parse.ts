/**
 * A small POSIX-shell reader for guards: it splits a Bash command into simple
 * commands with their words and redirections, the way bash would tokenize
 * them, and keeps what bash would expand later (variables, `~`, command
 * substitutions) as parts, so the analyzer can resolve what it can. It never
 * executes anything and never throws: what it cannot read becomes an
 * `unknown` part, which the guards treat as "could be anything".
 */

export type Part =
  | { kind: 'lit'; text: string; quoted: boolean }
  | { kind: 'var'; name: string; fallback: Part[] | null }
  | { kind: 'sub'; script: Script }
  | { kind: 'tilde'; user: string }
  | { kind: 'unknown' };

export interface Word {
  parts: Part[];
}

export interface Redirect {
  /** `>`, `>>`, `>|`, `<`, `<>`, `&>`, `&>>`, `<<`, `<<<`, `>&`, `<&`. */
  op: string;
  target: Word | null;
  /** Body of a here-document. */
  heredoc?: string;
}

export interface SimpleCommand {
  words: Word[];
  redirects: Redirect[];
}

export interface Script {
  commands: SimpleCommand[];
  /** Set when a part was nested deeper than the reader follows: what it holds was not read. */
  truncated?: boolean;
}

const OPERATOR_CHARS = new Set([';', '&', '|', '(', ')', '\n']);
const MAX_DEPTH = 8;

class Reader {
  pos = 0;
  readonly pendingHeredocs: Redirect[] = [];
  constructor(
    readonly src: string,
    readonly depth: number,
  ) {}

  peek(offset = 0): string {
    return this.src[this.pos + offset] ?? '';
  }
  done(): boolean {
    return this.pos >= this.src.length;
  }
}

/** Parses a shell command line into its simple commands (in order of appearance, nested ones included). */
export function parseShell(source: string, depth = 0): Script {
  const reader = new Reader(source, depth);
  const commands: SimpleCommand[] = [];
  let current: SimpleCommand = { words: [], redirects: [] };
  const flush = () => {
    if (current.words.length || current.redirects.length) commands.push(current);
    current = { words: [], redirects: [] };
  };
  while (!reader.done()) {
    const c = reader.peek();
    if (c === ' ' || c === '\t' || c === '\r') {
      reader.pos++;
      continue;
    }
    if (c === '\\' && reader.peek(1) === '\n') {
      reader.pos += 2;
      continue;
    }
    if (c === '#') {
      while (!reader.done() && reader.peek() !== '\n') reader.pos++;
      continue;
    }
    if (c === '\n') {
      reader.pos++;
      flush();
      readHeredocBodies(reader);
      continue;
    }
    const redirect = readRedirectOp(reader);
    if (redirect) {
      skipBlanks(reader);
      if (redirect.op === '<<' || redirect.op === '<<-') {
        const delimiter = readWord(reader);
        redirect.target = delimiter;
        reader.pendingHeredocs.push(redirect);
      } else if ((redirect.op === '>&' || redirect.op === '<&') && /[0-9-]/.test(reader.peek())) {
        // fd duplication (`2>&1`, `>&-`): no file involved
        while (/[0-9-]/.test(reader.peek())) reader.pos++;
        continue;
      } else {
        redirect.target = reader.done() || OPERATOR_CHARS.has(reader.peek()) ? null : readWord(reader);
      }
      current.redirects.push(redirect);
      continue;
    }
    if (OPERATOR_CHARS.has(c)) {
      reader.pos++;
      flush();
      continue;
    }
    current.words.push(readWord(reader));
  }
  flush();
  // Nested scripts (command substitutions, here-docs fed to a shell) are analyzed by the caller through the parts.
  return { commands };
}

function skipBlanks(reader: Reader): void {
  while (reader.peek() === ' ' || reader.peek() === '\t') reader.pos++;
}

function readRedirectOp(reader: Reader): Redirect | null {
  const match = /^(\d*)(&>>|&>|<<<|<<-|<<|<>|>>|>\||>&|<&|>|<)/.exec(reader.src.slice(reader.pos, reader.pos + 16));
  if (!match) return null;
  // `<(` and `>(` are process substitutions, read as words.
  const after = reader.src[reader.pos + match[0].length];
  if ((match[2] === '<' || match[2] === '>') && after === '(') return null;
  reader.pos += match[0].length;
  return { op: match[2]!, target: null };
}

function readHeredocBodies(reader: Reader): void {
  while (reader.pendingHeredocs.length) {
    const redirect = reader.pendingHeredocs.shift()!;
    const delimiter = redirect.target ? literalText(redirect.target) : '';
    const lines: string[] = [];
    while (!reader.done()) {
      const end = reader.src.indexOf('\n', reader.pos);
      const line = reader.src.slice(reader.pos, end === -1 ? undefined : end);
      reader.pos = end === -1 ? reader.src.length : end + 1;
      const test = redirect.op === '<<-' ? line.replace(/^\t+/, '') : line;
      if (test === delimiter) break;
      lines.push(line);
    }
    redirect.heredoc = lines.join('\n');
  }
}

/** The text of a word made only of literal parts (quotes removed); unknown parts become `*`. */
export function literalText(word: Word): string {
  return word.parts.map((p) => (p.kind === 'lit' ? p.text : p.kind === 'tilde' ? `~${p.user}` : '*')).join('');
}

function readWord(reader: Reader): Word {
  const parts: Part[] = [];
  const lit = (text: string, quoted: boolean) => {
    const last = parts[parts.length - 1];
    if (last && last.kind === 'lit' && last.quoted === quoted) last.text += text;
    else parts.push({ kind: 'lit', text, quoted });
  };
  if (reader.peek() === '~') {
    // `~user`, and bash's `~+` (the cwd) and `~-` (the previous folder).
    const m = /^~(\+|-|[A-Za-z0-9_.][A-Za-z0-9_.-]*|)(?=\/|$|[\s;&|()<>])/.exec(reader.src.slice(reader.pos));
    if (m) {
      parts.push({ kind: 'tilde', user: m[1]! });
      reader.pos += m[0].length;
    }
  }
  while (!reader.done()) {
    const c = reader.peek();
    if (c === ' ' || c === '\t' || c === '\r' || OPERATOR_CHARS.has(c)) break;
    if ((c === '<' || c === '>') && reader.peek(1) === '(') {
      reader.pos += 2;
      parts.push({ kind: 'sub', script: readNested(reader, ')') });
      continue;
    }
    if (c === '<' || c === '>') break;
    if (c === '\\') {
      const next = reader.peek(1);
      reader.pos += 2;
      if (next !== '\n') lit(next, true);
      continue;
    }
    if (c === "'") {
      const end = reader.src.indexOf("'", reader.pos + 1);
      const text = reader.src.slice(reader.pos + 1, end === -1 ? undefined : end);
      reader.pos = end === -1 ? reader.src.length : end + 1;
      lit(text, true);
      continue;
    }
    if (c === '"') {
      reader.pos++;
      readDoubleQuoted(reader, parts, lit);
      continue;
    }
    if (c === '$') {
      readDollar(reader, parts, lit, false);
      continue;
    }
    if (c === '`') {
      reader.pos++;
      parts.push({ kind: 'sub', script: readBackticks(reader) });
      continue;
    }
    lit(c, false);
    reader.pos++;
  }
  return { parts };
}

function readDoubleQuoted(reader: Reader, parts: Part[], lit: (text: string, quoted: boolean) => void): void {
  while (!reader.done()) {
    const c = reader.peek();
    if (c === '"') {
      reader.pos++;
      return;
    }
    if (c === '\\') {
      const next = reader.peek(1);
      if ('$`"\\\n'.includes(next) && next !== '') {
        if (next !== '\n') lit(next, true);
        reader.pos += 2;
      } else {
        lit('\\', true);
        reader.pos++;
      }
      continue;
    }
    if (c === '$') {
      readDollar(reader, parts, lit, true);
      continue;
    }
    if (c === '`') {
      reader.pos++;
      parts.push({ kind: 'sub', script: readBackticks(reader) });
      continue;
    }
    lit(c, true);
    reader.pos++;
  }
}

function readDollar(reader: Reader, parts: Part[], lit: (text: string, quoted: boolean) => void, inQuotes: boolean): void {
  const next = reader.peek(1);
  if (next === "'" && !inQuotes) {
    reader.pos += 2;
    lit(readAnsiC(reader), true);
    return;
  }
  if (next === '(' && reader.peek(2) === '(') {
    reader.pos += 3;
    skipBalanced(reader, '(', ')', 2);
    parts.push({ kind: 'unknown' });
    return;
  }
  if (next === '(') {
    reader.pos += 2;
    parts.push({ kind: 'sub', script: readNested(reader, ')') });
    return;
  }
  if (next === '{') {
    reader.pos += 2;
    const start = reader.pos;
    skipBalanced(reader, '{', '}', 1);
    const body = reader.src.slice(start, reader.pos - 1);
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=])(.*))?$/s.exec(body);
    if (m) {
      const fallback = m[2] ? readWord(new Reader(m[3] ?? '', reader.depth + 1)).parts : null;
      parts.push({ kind: 'var', name: m[1]!, fallback });
    } else parts.push({ kind: 'unknown' });
    return;
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(reader.src.slice(reader.pos + 1));
  if (m) {
    reader.pos += 1 + m[0].length;
    parts.push({ kind: 'var', name: m[0], fallback: null });
    return;
  }
  if (/[0-9@*#?$!-]/.test(next)) {
    reader.pos += 2;
    parts.push({ kind: 'unknown' });
    return;
  }
  lit('$', inQuotes);
  reader.pos++;
}

/** `$'...'`: bash's ANSI-C quoting, decoded, since it is a favourite way to hide a path. */
function readAnsiC(reader: Reader): string {
  let out = '';
  while (!reader.done()) {
    const c = reader.peek();
    if (c === "'") {
      reader.pos++;
      break;
    }
    if (c !== '\\') {
      out += c;
      reader.pos++;
      continue;
    }
    const rest = reader.src.slice(reader.pos + 1);
    let m: RegExpExecArray | null;
    if ((m = /^x([0-9a-fA-F]{1,2})/.exec(rest))) out += String.fromCharCode(parseInt(m[1]!, 16));
    else if ((m = /^u([0-9a-fA-F]{1,4})/.exec(rest)) || (m = /^U([0-9a-fA-F]{1,8})/.exec(rest))) out += String.fromCodePoint(parseInt(m[1]!, 16));
    else if ((m = /^([0-7]{1,3})/.exec(rest))) out += String.fromCharCode(parseInt(m[1]!, 8));
    else {
      m = /^[\s\S]/.exec(rest);
      const ch = m ? m[0] : '';
      const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', v: '\v' };
      out += map[ch] ?? ch;
    }
    reader.pos += 1 + (m ? m[0].length : 0);
  }
  return out;
}

function skipBalanced(reader: Reader, open: string, close: string, needed: number): void {
  let depth = needed;
  while (!reader.done() && depth > 0) {
    const c = reader.peek();
    if (c === '\\') reader.pos++;
    else if (c === "'") {
      const end = reader.src.indexOf("'", reader.pos + 1);
      reader.pos = end === -1 ? reader.src.length : end;
    } else if (c === open) depth++;
    else if (c === close) depth--;
    reader.pos++;
  }
}

function readNested(reader: Reader, close: string): Script {
  const start = reader.pos;
  // Find the matching close paren, respecting quotes and nesting.
  let depth = 1;
  while (!reader.done()) {
    const c = reader.peek();
    if (c === '\\') {
      reader.pos += 2;
      continue;
    }
    if (c === "'") {
      const end = reader.src.indexOf("'", reader.pos + 1);
      reader.pos = end === -1 ? reader.src.length : end + 1;
      continue;
    }
    if (c === '"') {
      reader.pos++;
      while (!reader.done() && reader.peek() !== '"') reader.pos += reader.peek() === '\\' ? 2 : 1;
      reader.pos++;
      continue;
    }
    if (c === '(') depth++;
    if (c === close && --depth === 0) break;
    reader.pos++;
  }
  const body = reader.src.slice(start, reader.pos);
  reader.pos++;
  return reader.depth >= MAX_DEPTH ? { commands: [], truncated: true } : parseShell(body, reader.depth + 1);
}

function readBackticks(reader: Reader): Script {
  let body = '';
  while (!reader.done() && reader.peek() !== '`') {
    if (reader.peek() === '\\' && '`$\\'.includes(reader.peek(1))) {
      body += reader.peek(1);
      reader.pos += 2;
      continue;
    }
    body += reader.peek();
    reader.pos++;
  }
  reader.pos++;
  return reader.depth >= MAX_DEPTH ? { commands: [], truncated: true } : parseShell(body, reader.depth + 1);
}
