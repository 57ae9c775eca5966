import path from 'node:path';

/**
 * Glob patterns as guards need them: `*`, `?`, `[...]`, `{a,b}` and `**`
 * (which crosses `/`), with `\` escaping a character. Used for shell globs
 * (where `**` crossing is an over-approximation, the safe side for a guard)
 * and for the paths of permission rules.
 */

/*
 * Why not picomatch (which the file tools' globs use, src/agents/tools/globMatch.ts):
 * a guard must over-approximate what a pattern names, and picomatch 4 matches less in
 * ways that would let a call past a deny rule. Tried with every option that could help
 * (dot, noextglob, nonegate, posix, bash, regex, noquantifiers, strictSlashes):
 * - its `**` never matches a `.` or `..` segment (`/home/u/**` misses `/home/u/../etc`,
 *   `**` misses `a/../../b`); no option lifts that (`bash` lets `a/**` take `a/..` but
 *   still not `**` the whole of `a/../../b`);
 * - a `**` inside a segment is a plain `*` (`**secret**` misses `a/secret/b`) unless
 *   `bash`, which also makes every single `*` cross `/`, changing what every rule means;
 * - `(a|b)` and `+(x)` are regex groups where bash means literal parentheses (escaping
 *   them first would work, but only with a pre-pass that knows brackets and escapes).
 * (`[!a]` as a negated class works with `posix`.) Using it would take a parser of our
 * own in front of it plus rewriting the dot segments of every path: no less code, and
 * the safety would then hang on picomatch's internals. tests/guards-glob.test.ts pins these.
 */

const SPECIAL = /[*?[{]/;

/** Whether a pattern has an unescaped glob character. */
export function hasGlob(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') i++;
    else if (SPECIAL.test(c)) return true;
  }
  return false;
}

/** Escapes glob characters so a literal text matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]{}]/g, '\\$&');
}

/** Removes escapes: the literal text of a pattern without glob characters. */
export function unescapeGlob(pattern: string): string {
  return pattern.replace(/\\(.)/g, '$1');
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

/** The regex source of a pattern (not anchored). */
export function globSource(pattern: string): string {
  let out = '';
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      out += escapeRegex(pattern[++i] ?? '\\');
    } else if (c === '*') {
      if (pattern[i + 1] === '*') {
        // `**/` matches zero or more folders; a bare `**` anything.
        if (pattern[i + 2] === '/') {
          out += '(?:.*/)?';
          i += 2;
        } else {
          out += '.*';
          i += 1;
        }
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += escapeRegex(c);
  }
  while (braces-- > 0) out += ')';
  return out;
}

/** A full-match regex for a pattern. */
export function globToRegExp(pattern: string): RegExp {
  try {
    return new RegExp(`^${globSource(pattern)}$`);
  } catch {
    // A pattern bash would take literally: match it literally.
    return new RegExp(`^${unescapeGlob(pattern).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
  }
}

/** Splits a pattern on `/` outside braces and brackets. */
function segments(pattern: string): string[] {
  const out: string[] = [];
  let current = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      current += c + (pattern[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '{' || c === '[') depth++;
    if ((c === '}' || c === ']') && depth > 0) depth--;
    if (c === '/' && depth === 0) {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out.filter((s, i) => s !== '' || i === 0);
}

export type Overlap = 'inside' | 'ancestor' | null;

/**
 * Whether something an absolute glob could name is the folder `area`, inside
 * it (`inside`), or a folder that contains it (`ancestor`, e.g. `rm -r /sil*`'s
 * view of the folder's parent). Brace alternatives with `/` are expanded first.
 */
export function globOverlap(pattern: string, area: string): Overlap {
  const alternatives = expandBraces(pattern);
  let best: Overlap = null;
  for (const alternative of alternatives) {
    const result = overlapOne(path.posix.normalize(alternative), area);
    if (result === 'inside') return result;
    best = best ?? result;
  }
  return best;
}

function overlapOne(pattern: string, area: string): Overlap {
  const pat = segments(pattern);
  const target = area.split('/');
  for (let i = 0; i < target.length; i++) {
    const seg = pat[i];
    if (seg === undefined) return 'ancestor';
    if (seg.includes('**')) return 'inside';
    // As in bash, a wildcard does not match the leading dot of a name (`*` is not `.env`).
    if (target[i]!.startsWith('.') && !/^\\?\./.test(seg) && hasGlob(seg)) return null;
    if (!globToRegExp(seg).test(target[i]!)) return null;
  }
  return 'inside';
}

/** Expands `{a,b}` alternatives that contain `/` (at most 64 results), leaving the rest to the regex. */
export function expandBraces(pattern: string, limit = 64): string[] {
  const open = findBrace(pattern);
  if (!open) return [pattern];
  const { start, end, options } = open;
  const out: string[] = [];
  for (const option of options) {
    for (const rest of expandBraces(pattern.slice(0, start) + option + pattern.slice(end + 1), limit)) {
      if (out.length >= limit) return out;
      out.push(rest);
    }
  }
  return out;
}

function findBrace(pattern: string): { start: number; end: number; options: string[] } | null {
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') {
      i++;
      continue;
    }
    if (pattern[i] !== '{') continue;
    let depth = 0;
    const options: string[] = [];
    let last = i + 1;
    for (let j = i; j < pattern.length; j++) {
      const c = pattern[j];
      if (c === '\\') {
        j++;
        continue;
      }
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) {
        options.push(pattern.slice(last, j));
        if (options.length < 2) break;
        return { start: i, end: j, options };
      } else if (c === ',' && depth === 1) {
        options.push(pattern.slice(last, j));
        last = j + 1;
      }
    }
  }
  return null;
}
