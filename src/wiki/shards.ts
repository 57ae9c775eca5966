/** The shard a term lives in. */
export function shardKey(term: string): string {
  return term.slice(0, 2);
}

/** Which shards a query's (processed) terms can match in, by exact or prefix match. */
export function shardsFor(terms: readonly string[]): (key: string) => boolean {
  const exact = new Set<string>();
  const short: string[] = [];
  for (const term of terms) {
    if (term.length >= 2) exact.add(shardKey(term));
    else short.push(term);
  }
  return (key) => exact.has(key) || short.some((t) => key.startsWith(t));
}
