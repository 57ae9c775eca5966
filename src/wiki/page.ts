import { createRequire } from 'node:module';
import type * as Crypto from 'node:crypto';
import type GrayMatter from 'gray-matter';
import type * as Zod from 'zod/mini';

/** The frontmatter every page carries (`updated` is a YAML date or a string). */
const frontmatterSchema = (z: typeof Zod) =>
  z.object({
    title: z.string().check(z.trim(), z.minLength(1, 'a non-empty title')),
    brand: z.string().check(z.trim(), z.minLength(1, 'the brand id (or "global")')),
    updated: z.union([z.date(), z.string().check(z.trim(), z.minLength(1))], { message: 'a date (YAML date or a string)' }),
    tags: z.optional(z.union([z.array(z.string()), z.string()])),
    sources: z.optional(z.array(z.union([z.string(), z.number()]))),
    confidence: z.optional(z.enum(['high', 'medium', 'low'])),
    authority: z.optional(z.string()),
    aliases: z.optional(z.union([z.array(z.string()), z.string()])),
  });
export type Frontmatter = Zod.infer<ReturnType<typeof frontmatterSchema>>;

/**
 * The frontmatter parser and its schema, loaded on the first page that is
 * parsed: most commands find every page unchanged in the catalog and never
 * need them (gray-matter's YAML brings a JavaScript parser along, slow to load).
 */
let parsers: { matter: typeof GrayMatter; schema: ReturnType<typeof frontmatterSchema> } | null = null;
const load = createRequire(import.meta.url);
function loadParsers(): NonNullable<typeof parsers> {
  if (parsers) return parsers;
  parsers = { matter: load('gray-matter') as typeof GrayMatter, schema: frontmatterSchema(load('zod/mini') as typeof Zod) };
  return parsers;
}

/** A wikilink as written: `[[target#heading|label]]`. */
export interface WikiLink {
  target: string;
  heading?: string;
  label?: string;
  line: number;
}

/** What is known of one page after parsing; kept in the catalog so unchanged pages are never parsed again. */
export interface PageInfo {
  /** Path under wiki/ without `.md`, with forward slashes (`umano/release-process`). */
  name: string;
  title: string;
  /** The brand the page's folder belongs to (`global`, `ledger`, `inbox` for those folders). */
  folder: string;
  /** The brand its frontmatter names, if any. */
  brand?: string;
  tags: string[];
  /** Other names links may use (Obsidian's `aliases` frontmatter). */
  aliases: string[];
  links: WikiLink[];
  headings: string[];
  /** Problems with the frontmatter, empty when it is valid. */
  problems: string[];
  hash: string;
}

/** Code spans and fenced blocks hold examples, not links (Obsidian ignores them too). */
function withoutCode(text: string): string {
  return text.replace(/```[\s\S]*?```/g, (block) => block.replace(/[^\n]/g, ' ')).replace(/`[^`\n]*`/g, (span) => ' '.repeat(span.length));
}

/** Every `[[...]]` of a page body (embeds `![[...]]` included), with its line. */
export function parseLinks(body: string, firstLine = 1): WikiLink[] {
  const out: WikiLink[] = [];
  const lines = withoutCode(body).split('\n');
  lines.forEach((text, index) => {
    for (const match of text.matchAll(/\[\[([^\]\n]+?)\]\]/g)) {
      const raw = match[1]!;
      const bar = raw.indexOf('|');
      const ref = (bar >= 0 ? raw.slice(0, bar) : raw).trim();
      const label = bar >= 0 ? raw.slice(bar + 1).trim() : undefined;
      const hash = ref.indexOf('#');
      const target = (hash >= 0 ? ref.slice(0, hash) : ref).trim();
      const heading = hash >= 0 ? ref.slice(hash + 1).trim() : undefined;
      out.push({ target, line: firstLine + index, ...(heading ? { heading } : {}), ...(label ? { label } : {}) });
    }
  });
  return out;
}

export function parseHeadings(body: string): string[] {
  return [...withoutCode(body).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)].map((m) => m[1]!);
}

/** Node's crypto module, loaded with the first hash for the same reason: a command that parses no page needs none. */
let crypto: typeof Crypto | null = null;
export function hashText(text: string): string {
  crypto ??= load('node:crypto') as typeof Crypto;
  return crypto.createHash('sha1').update(text).digest('hex');
}

export interface ParsedPage {
  data: Record<string, unknown>;
  body: string;
  /** Line number of the body's first line in the file. */
  bodyLine: number;
  problems: string[];
  frontmatter?: Frontmatter;
}

/** Splits a page into frontmatter and body; a page whose YAML does not parse is kept with the problem named. */
export function parsePage(text: string, requireFrontmatter = true): ParsedPage {
  let data: Record<string, unknown> = {};
  let body = text;
  const problems: string[] = [];
  try {
    // Options given so gray-matter's process-wide cache (keyed by text) is not used.
    const parsed = loadParsers().matter(text, {});
    data = (parsed.data ?? {}) as Record<string, unknown>;
    body = parsed.content;
  } catch (error) {
    problems.push(`the frontmatter is not valid YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const bodyLine = text.slice(0, text.length - body.length).split('\n').length;
  let frontmatter: Frontmatter | undefined;
  if (problems.length === 0) {
    const result = loadParsers().schema.safeParse(data);
    if (result.success) frontmatter = result.data;
    else if (requireFrontmatter) {
      if (Object.keys(data).length === 0) problems.push('has no frontmatter (title, brand and updated are required)');
      else for (const issue of result.error.issues) problems.push(`${issue.path.join('.') || 'frontmatter'}: ${issue.message}`);
    }
  }
  return { data, body, bodyLine, problems, ...(frontmatter ? { frontmatter } : {}) };
}

/** The title of a page: its frontmatter title, else its first heading, else its file name. */
export function pageTitle(name: string, parsed: ParsedPage): string {
  const title = parsed.data.title;
  if (typeof title === 'string' && title.trim()) return title.trim();
  const heading = parseHeadings(parsed.body)[0];
  return heading ?? name.slice(name.lastIndexOf('/') + 1);
}

function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).filter(Boolean);
  if (typeof value === 'string' && value.trim()) return [value.trim()];
  return [];
}

export function tagsOf(data: Record<string, unknown>): string[] {
  const tags = data.tags;
  if (Array.isArray(tags)) return tags.map(String);
  if (typeof tags === 'string') return tags.split(/[,\s]+/).filter(Boolean);
  return [];
}

/** Folders of the wiki that are not brands. */
export const SPECIAL_FOLDERS = ['global', 'ledger', 'inbox'] as const;

/** Parses one page's text into what the catalog keeps. */
export function pageInfo(name: string, text: string): PageInfo {
  const folder = name.includes('/') ? name.slice(0, name.indexOf('/')) : '';
  // Notes dropped into the inbox may be bare text: distillation reads them as they are.
  const parsed = parsePage(text, folder !== 'inbox');
  const problems = [...parsed.problems];
  const brand = typeof parsed.data.brand === 'string' ? parsed.data.brand : undefined;
  if (folder === '') problems.push('lies at the top of wiki/; put it in a brand folder or global/');
  else if (brand && !['ledger', 'inbox'].includes(folder) && brand !== folder) {
    problems.push(`brand: says "${brand}" but the page is in ${folder}/`);
  }
  return {
    name,
    title: pageTitle(name, parsed),
    folder,
    ...(brand ? { brand } : {}),
    tags: tagsOf(parsed.data),
    aliases: listOf(parsed.data.aliases ?? parsed.data.alias),
    links: parseLinks(parsed.body, parsed.bodyLine),
    headings: parseHeadings(parsed.body),
    problems,
    hash: hashText(text),
  };
}
