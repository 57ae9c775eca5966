/**
 * Glob patterns as Claude Code's Glob tool and permission rules use them:
 * `**` crosses folders, `*` and `?` stay within one, `{a,b}` alternates.
 */
const cache = new Map<string, RegExp>();

export function globToRegExp(pattern: string): RegExp {
  const cached = cache.get(pattern);
  if (cached) return cached;
  let out = '';
  let i = 0;
  let braces = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        const slashAfter = pattern[i + 2] === '/';
        out += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 3 : 2;
        continue;
      }
      out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        out += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
    i++;
  }
  const regex = new RegExp(`^${out}$`);
  if (cache.size > 500) cache.clear();
  cache.set(pattern, regex);
  return regex;
}

/** Whether a relative path (forward slashes) matches a glob. */
export function globMatch(pattern: string, relativePath: string): boolean {
  return globToRegExp(pattern).test(relativePath);
}

/** Whether globs allow a path: some positive pattern matches and no `!pattern` does. */
export function globsAllow(patterns: readonly string[], relativePath: string): boolean {
  let allowed = false;
  for (const pattern of patterns) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), relativePath)) return false;
    } else if (!allowed && globMatch(pattern, relativePath)) allowed = true;
  }
  return allowed;
}
