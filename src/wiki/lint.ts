import type { Registry } from '../registry/schema.js';
import type { Catalog } from './catalog.js';
import { backlinks, headingMatches, resolverFor } from './links.js';
import { SPECIAL_FOLDERS } from './page.js';

export type LintKind = 'bad frontmatter' | 'broken link' | 'ambiguous link' | 'broken heading' | 'orphan' | 'duplicate title' | 'unknown brand' | 'silo link';

export interface LintProblem {
  page: string;
  kind: LintKind;
  message: string;
}

/** Every problem of the wiki, by page then kind: what `master wiki lint` and the doctor report. */
export function lintWiki(catalog: Catalog, registry?: Registry): LintProblem[] {
  const problems: LintProblem[] = [];
  const resolver = resolverFor(catalog);
  const back = backlinks(catalog, resolver);
  const brands = new Set(registry?.brands.map((b) => b.id) ?? []);
  const silos = new Set(registry?.brands.filter((b) => b.silo).map((b) => b.id) ?? []);
  const titles = new Map<string, string[]>();
  for (const page of catalog.pages.values()) {
    const special = page.folder === 'ledger' || page.folder === 'inbox';
    for (const message of page.problems) problems.push({ page: page.name, kind: 'bad frontmatter', message });
    if (registry && page.folder && !(SPECIAL_FOLDERS as readonly string[]).includes(page.folder) && !brands.has(page.folder)) {
      problems.push({ page: page.name, kind: 'unknown brand', message: `${page.folder}/ is not a brand of registry.json (nor global/, ledger/, inbox/)` });
    }
    for (const link of page.links) {
      const where = `line ${link.line}: [[${link.target}${link.heading ? `#${link.heading}` : ''}]]`;
      if (!link.target && link.heading) {
        if (!headingMatches(page, link.heading)) problems.push({ page: page.name, kind: 'broken heading', message: `${where}: no heading "${link.heading}" on this page` });
        continue;
      }
      const r = resolver.resolve(link.target);
      if ('broken' in r) problems.push({ page: page.name, kind: 'broken link', message: `${where}: ${r.broken}` });
      else if ('ambiguous' in r) {
        problems.push({ page: page.name, kind: 'ambiguous link', message: `${where}: ${r.ambiguous.length} pages have that file name (${r.ambiguous.join(', ')}); write the path` });
      } else {
        const target = catalog.pages.get(r.page)!;
        if (link.heading && !headingMatches(target, link.heading)) {
          problems.push({ page: page.name, kind: 'broken heading', message: `${where}: ${r.page} has no heading "${link.heading}"` });
        }
        // A link across a silo wall tells the other side the page exists: the silo's pages stay among themselves.
        if (target.folder !== page.folder && !special && (silos.has(target.folder) || (silos.has(page.folder) && target.folder !== 'global'))) {
          problems.push({ page: page.name, kind: 'silo link', message: `${where}: links across the silo wall of ${silos.has(target.folder) ? target.folder : page.folder}` });
        }
      }
    }
    if (!special && page.links.length === 0 && !back.get(page.name)?.length) {
      problems.push({ page: page.name, kind: 'orphan', message: 'no page links here and it links nowhere; link it from a related page' });
    }
    if (!special) {
      const key = `${page.folder}\0${page.title.toLowerCase()}`;
      titles.set(key, [...(titles.get(key) ?? []), page.name]);
    }
  }
  for (const names of titles.values()) {
    if (names.length < 2) continue;
    for (const name of names) {
      problems.push({ page: name, kind: 'duplicate title', message: `the title "${catalog.pages.get(name)!.title}" is also on ${names.filter((n) => n !== name).join(', ')}` });
    }
  }
  return problems.sort((a, b) => a.page.localeCompare(b.page) || a.kind.localeCompare(b.kind));
}
