import * as z from 'zod/mini';
import { contextBrand } from '../../guards/silo/areas.js';
import { siloPathCheck } from '../../guards/silo/runtimeCheck.js';
import { resolveReal } from '../../guards/pathPolicy.js';
import type { ToolContext } from '../../guards/types.js';
import { failed, ok, type ToolDefinition } from './types.js';

const MAX_PAGE_CHARS = 30_000;

/**
 * The wiki as this caller may see it: its brand's pages, global ones, and
 * other brands' pages unless a silo wall stands between. Loaded on first use
 * so an agent that never reads the wiki never parses it.
 */
async function wikiFor(context: ToolContext) {
  const [{ Wiki }, { pageVisibility }] = await Promise.all([import('../../wiki/wiki.js'), import('../../wiki/visibility.js')]);
  return Wiki.open(context.paths).restrictedTo(pageVisibility(context.registry, contextBrand(context)));
}

const SearchInput = z.strictObject({
  query: z.string().check(z.trim(), z.minLength(1, 'words to search for')),
  limit: z.optional(z.int().check(z.gte(1), z.lte(30))),
});

export const wikiSearchTool: ToolDefinition<z.infer<typeof SearchInput>> = {
  name: 'WikiSearch',
  description:
    'Searches the workspace wiki (what earlier tickets and the operator taught: processes, conventions, decisions) and returns the best pages with a snippet each. Read a page with WikiRead; cite pages by their name, e.g. [[brand/page]].',
  input: SearchInput,
  // Read-only and outside the worktree: the tool filters by the caller's brand itself, so there is no path to confine.
  paths: () => [],
  async run(input, context) {
    const wiki = await wikiFor(context);
    const hits = wiki.search(input.query, { limit: input.limit ?? 8 });
    if (hits.length === 0) return ok(`no wiki page matches "${input.query}"`);
    return ok(hits.map((h) => `[[${h.page}]] ${h.title} (score ${h.score})\n  ${h.snippet}`).join('\n'));
  },
};

const ReadInput = z.strictObject({ page: z.string().check(z.trim(), z.minLength(1, "a page name such as 'brand/page'")) });

export const wikiReadTool: ToolDefinition<z.infer<typeof ReadInput>> = {
  name: 'WikiRead',
  description: 'Reads one wiki page by its name (path under wiki/ without .md, e.g. umano/release-process) or a unique file name; returns its frontmatter and text.',
  input: ReadInput,
  paths: () => [],
  async run(input, context) {
    const wiki = await wikiFor(context);
    const entry = wiki.find(input.page.replace(/^\[\[|\]\]$/g, ''));
    if (!entry) {
      const near = wiki.search(input.page, { limit: 3 }).map((h) => h.page);
      return failed(`no wiki page "${input.page}"${near.length ? `; close: ${near.join(', ')}` : ''}; use WikiSearch to find pages`);
    }
    // The silo layer's own runtime check as well: the page's real file must not lie behind a wall.
    const wall = siloPathCheck(context, resolveReal(wiki.file(entry.name), context.cwd), 'read');
    if (wall) return failed(`no wiki page "${input.page}"; use WikiSearch to find pages`);
    const text = wiki.text(entry.name);
    return ok(`[[${entry.name}]]\n${text.length > MAX_PAGE_CHARS ? `${text.slice(0, MAX_PAGE_CHARS)}\n… (cut at ${MAX_PAGE_CHARS} characters)` : text}`);
  },
};
