import type { Registry } from '../registry/schema.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { parsePage } from './page.js';
import { pageVisibility } from './visibility.js';
import { Wiki } from './wiki.js';

/** About four characters a token: the budget is kept without a tokenizer. */
const CHARS_PER_TOKEN = 4;
export const DEFAULT_KNOWLEDGE_TOKENS = 3000;
/** A page scoring below this share of the best one is not relevant enough to spend the budget on. */
const RELEVANCE_FLOOR = 0.25;

export interface KnowledgeRequest {
  brand: string;
  /** What the agent works on: the ticket's title, body and acceptance criteria. */
  text: string;
  budgetTokens?: number;
}

export interface Knowledge {
  /** The prompt section, empty when no page is relevant. */
  section: string;
  pages: string[];
}

/**
 * The wiki pages most relevant to a piece of work of a brand, for the
 * agent's prompt: only that brand's own pages and the global ones (so a
 * silo's knowledge never reaches another brand, nor theirs the silo), best
 * first, each whole or cut, each cited by its name, within a token budget.
 */
export function relevantKnowledge(paths: Pick<WorkspacePaths, 'wiki' | 'data'>, registry: Registry, request: KnowledgeRequest): Knowledge {
  const budget = (request.budgetTokens ?? DEFAULT_KNOWLEDGE_TOKENS) * CHARS_PER_TOKEN;
  const visible = pageVisibility(registry, request.brand);
  const own = (name: string) => visible(name) && (name.startsWith(`${request.brand}/`) || name.startsWith('global/'));
  const wiki = Wiki.open(paths).restrictedTo(own);
  if (wiki.catalog.names.size === 0 || !request.text.trim()) return { section: '', pages: [] };
  const hits = wiki.search(request.text, { limit: 8 });
  const best = hits[0]?.score ?? 0;
  const parts: string[] = [];
  const pages: string[] = [];
  let left = budget;
  for (const hit of hits) {
    if (hit.score < best * RELEVANCE_FLOOR || left < 200) break;
    const body = parsePage(wiki.text(hit.page), false).body.trim();
    const head = `### [[${hit.page}]] ${hit.title}\n`;
    const room = left - head.length;
    const shown = body.length > room ? `${body.slice(0, Math.max(0, room - 40))}\n… (cut; WikiRead ${hit.page} for the rest)` : body;
    parts.push(`${head}${shown}`);
    pages.push(hit.page);
    left -= head.length + shown.length + 2;
  }
  if (pages.length === 0) return { section: '', pages: [] };
  return {
    section: [
      `What the workspace wiki knows that bears on this work (${pages.length} page${pages.length === 1 ? '' : 's'}, best first). Cite a page by its name, e.g. [[${pages[0]}]], when you rely on it; WikiSearch and WikiRead find more.`,
      '',
      parts.join('\n\n'),
    ].join('\n'),
    pages,
  };
}
