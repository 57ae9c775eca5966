import { ExitCode, UserError } from '../../errors.js';
import { existsSync } from 'node:fs';
import type { Registry } from '../../registry/schema.js';
import { lintWiki } from '../../wiki/lint.js';
import { pageLinks } from '../../wiki/links.js';
import { Wiki } from '../../wiki/wiki.js';
import { resolveHome, workspacePaths } from '../../workspace/paths.js';
import { json, out } from '../output.js';

/** The wiki needs no state store: it reads the folder and its derived files under .master/wiki/. */
async function openWiki(home: string | undefined): Promise<{ wiki: Wiki; registry: Registry }> {
  const paths = workspacePaths(resolveHome(home));
  const registry = await loadRegistry(paths.registry);
  return { wiki: Wiki.open(paths), registry };
}

/** The registry's loader (and its schema library) is loaded only by the commands that need it. */
async function loadRegistry(file: string): Promise<Registry> {
  const { loadRegistryFile } = await import('../../registry/load.js');
  return loadRegistryFile(file);
}

function brandFilter(registry: Registry, brand: string | undefined): ((page: string) => boolean) | undefined {
  if (brand === undefined) return undefined;
  const folders = [...registry.brands.map((b) => b.id), 'global', 'ledger', 'inbox'];
  if (!folders.includes(brand)) throw new UserError(`unknown brand "${brand}"; brands: ${folders.join(', ')}`);
  return (page) => page.startsWith(`${brand}/`);
}

/** `master wiki list [--brand B]`: every page with its title. */
export function listCommand(home: () => string | undefined) {
  return async (options: { brand?: string; json?: boolean }): Promise<number> => {
    const { wiki, registry } = await openWiki(home());
    const filter = brandFilter(registry, options.brand);
    const pages = wiki.pages.filter((p) => !filter || filter(p.name));
    if (options.json) json(pages.map((p) => ({ page: p.name, title: p.title, brand: p.brand ?? p.folder, tags: p.tags })));
    else if (pages.length === 0) out(options.brand ? `no wiki pages for ${options.brand}` : 'the wiki has no pages yet');
    else {
      const width = Math.min(48, Math.max(...pages.map((p) => p.name.length)));
      out(pages.map((p) => `${p.name.padEnd(width)}  ${p.title}`).join('\n'));
    }
    return ExitCode.ok;
  };
}

/** `master wiki show PAGE`: the page's file as it is. */
export function showCommand(home: () => string | undefined) {
  return async (page: string): Promise<number> => {
    const { wiki } = await openWiki(home());
    const entry = wiki.require(page);
    out(wiki.text(entry.name));
    return ExitCode.ok;
  };
}

/** `master wiki search QUERY [--brand B] [--json]`: pages best first, with a snippet each. */
export function searchCommand(home: () => string | undefined) {
  return async (words: string[], options: { brand?: string; json?: boolean; limit?: string }): Promise<number> => {
    const query = words.join(' ').trim();
    if (!query) throw new UserError('give words to search for: master wiki search WORDS');
    const limit = options.limit === undefined ? 10 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UserError(`--limit wants a whole number above 0, not "${options.limit}"`);
    const paths = workspacePaths(resolveHome(home()));
    // A search needs the registry only to check --brand (or to say why this is no workspace).
    const filter = options.brand !== undefined || !existsSync(paths.registry) ? brandFilter(await loadRegistry(paths.registry), options.brand) : undefined;
    const wiki = Wiki.open(paths);
    const hits = wiki.index.query(query, { limit, ...(filter ? { filter } : {}) });
    if (options.json) json(hits);
    else if (hits.length === 0) out(`no page matches "${query}"`);
    else out(hits.map((h) => `${h.page}  ${h.title}  (${h.score})\n    ${h.snippet}`).join('\n'));
    // After the answer is out: the next search then finds no change waiting.
    wiki.index.settle();
    return ExitCode.ok;
  };
}

/** `master wiki links PAGE`: where it links to, and what links to it. */
export function linksCommand(home: () => string | undefined) {
  return async (page: string, options: { json?: boolean }): Promise<number> => {
    const { wiki } = await openWiki(home());
    const entry = wiki.require(page);
    const links = pageLinks(wiki.catalog, entry.name);
    if (options.json) {
      json({ page: entry.name, ...links });
      return ExitCode.ok;
    }
    const lines = [`${entry.name}: ${entry.title}`, '', `links out (${links.out.length}):`];
    for (const l of links.out) lines.push(`  ${l.page ?? l.target}${l.heading ? `#${l.heading}` : ''}${l.problem ? `  !! ${l.problem}` : ''}`);
    lines.push('', `linked from (${links.back.length}):`, ...links.back.map((b) => `  ${b}`));
    out(lines.join('\n'));
    return ExitCode.ok;
  };
}

/** `master wiki lint [--json]`: every problem; exit 1 when there is one. */
export function lintCommand(home: () => string | undefined) {
  return async (options: { json?: boolean }): Promise<number> => {
    const { wiki, registry } = await openWiki(home());
    const problems = lintWiki(wiki.catalog, registry);
    if (options.json) json(problems);
    else if (problems.length === 0) out(`the wiki is clean: ${wiki.catalog.pages.size} pages, no problems`);
    else out([...problems.map((p) => `${p.page}: ${p.kind}: ${p.message}`), '', `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${wiki.catalog.pages.size} pages`].join('\n'));
    return problems.length === 0 ? ExitCode.ok : ExitCode.failed;
  };
}
