import picomatch from 'picomatch';

/**
 * Glob patterns as Claude Code's Glob tool and write authority use them:
 * `**` crosses folders, `*` and `?` stay within one, `{a,b}` alternates,
 * dot files match. Compiled matchers are kept, since the same few patterns
 * are asked again and again.
 */
const cache = new Map<string, (path: string) => boolean>();

/** Whether a relative path (forward slashes) matches a glob. */
export function globMatch(pattern: string, relativePath: string): boolean {
  let matcher = cache.get(pattern);
  if (!matcher) {
    matcher = picomatch(pattern, { dot: true });
    if (cache.size > 500) cache.clear();
    cache.set(pattern, matcher);
  }
  return matcher(relativePath);
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
