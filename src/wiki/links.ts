import type { Catalog, CatalogEntry } from './catalog.js';

/** A resolver over every page of a catalog, aliases included. */
export function resolverFor(catalog: Catalog): LinkResolver {
  return new LinkResolver(
    catalog.pages.keys(),
    [...catalog.pages.values()].map((p) => [p.name, p.aliases ?? []] as [string, string[]]),
  );
}

/** How a wikilink resolved: to a page, or why not. */
export type Resolution = { page: string } | { broken: string } | { ambiguous: string[] };

/**
 * Resolves link targets as Obsidian does: a page name (path under wiki/,
 * `.md` optional, case-insensitive), else a file name that only one page has.
 */
export class LinkResolver {
  private readonly byName = new Map<string, string>();
  private readonly byBase = new Map<string, string[]>();
  private readonly byAlias = new Map<string, string[]>();

  constructor(pages: Iterable<string>, aliases: Iterable<[string, string[]]> = []) {
    for (const [name, list] of aliases) {
      for (const alias of list) {
        const key = alias.trim().toLowerCase();
        this.byAlias.set(key, [...(this.byAlias.get(key) ?? []), name]);
      }
    }
    for (const name of pages) {
      this.byName.set(name.toLowerCase(), name);
      const base = name.slice(name.lastIndexOf('/') + 1).toLowerCase();
      const list = this.byBase.get(base) ?? [];
      list.push(name);
      this.byBase.set(base, list);
    }
  }

  resolve(target: string): Resolution {
    const clean = target.trim().replace(/^\/+/, '').replace(/\.md$/i, '').toLowerCase();
    if (!clean) return { broken: 'an empty link' };
    const exact = this.byName.get(clean);
    if (exact) return { page: exact };
    // A partial path (`sub/page`) matches the end of one page's name; a bare name matches a file name.
    const base = clean.slice(clean.lastIndexOf('/') + 1);
    const candidates = (this.byBase.get(base) ?? []).filter((name) => !clean.includes('/') || name.toLowerCase().endsWith(`/${clean}`));
    if (candidates.length === 1) return { page: candidates[0]! };
    if (candidates.length > 1) return { ambiguous: candidates };
    const aliased = this.byAlias.get(clean) ?? [];
    if (aliased.length === 1) return { page: aliased[0]! };
    if (aliased.length > 1) return { ambiguous: aliased };
    return { broken: `no page named "${target}"` };
  }
}

export interface PageLinks {
  out: Array<{ target: string; page?: string; heading?: string; label?: string; problem?: string }>;
  back: string[];
}

/** Pages whose links resolve to each page: the backlinks of the whole wiki. */
export function backlinks(catalog: Catalog, resolver = resolverFor(catalog)): Map<string, string[]> {
  const back = new Map<string, string[]>();
  for (const page of catalog.pages.values()) {
    for (const link of page.links) {
      const r = resolver.resolve(link.target);
      if (!('page' in r) || r.page === page.name) continue;
      const list = back.get(r.page) ?? [];
      if (!list.includes(page.name)) list.push(page.name);
      back.set(r.page, list);
    }
  }
  return back;
}

/** A heading as a link names it: Obsidian matches the heading text, case-insensitively. */
export function headingMatches(entry: CatalogEntry, heading: string): boolean {
  const wanted = heading.trim().toLowerCase();
  return entry.headings.some((h) => h.trim().toLowerCase() === wanted);
}

/** The links out of a page (resolved) and the pages that link to it. */
export function pageLinks(catalog: Catalog, name: string): PageLinks {
  const resolver = resolverFor(catalog);
  const entry = catalog.pages.get(name)!;
  const out = entry.links.map((link) => {
    const r = resolver.resolve(link.target);
    const base = { target: link.target, ...(link.heading ? { heading: link.heading } : {}), ...(link.label ? { label: link.label } : {}) };
    if ('page' in r) {
      const target = catalog.pages.get(r.page)!;
      if (link.heading && !headingMatches(target, link.heading)) return { ...base, page: r.page, problem: `no heading "${link.heading}" in ${r.page}` };
      return { ...base, page: r.page };
    }
    if ('ambiguous' in r) return { ...base, problem: `ambiguous: ${r.ambiguous.join(', ')}` };
    return { ...base, problem: r.broken };
  });
  return { out, back: (backlinks(catalog, resolver).get(name) ?? []).sort() };
}

/** Finds a page by what a person types: its name, `.md` optional, or a unique file name. */
export function findPage(catalog: Catalog, query: string): Resolution {
  return resolverFor(catalog).resolve(query);
}
