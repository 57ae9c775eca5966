import { createTwoFilesPatch } from 'diff';
import matter from 'gray-matter';
import type { Finding } from './findings.js';

function titleFromTarget(target: string): string {
  const base = target.slice(target.lastIndexOf('/') + 1).replace(/[-_]+/g, ' ');
  return base.charAt(0).toUpperCase() + base.slice(1);
}

/**
 * The page as a finding would leave it: frontmatter (title, brand, updated,
 * sources merged with the old ones, confidence, authority) and the text
 * created, replaced or appended. What the authority is asked to write, the
 * approval's diff, and what the distillation checks the page holds afterwards.
 */
export function proposedPageText(finding: Pick<Finding, 'target' | 'change' | 'content' | 'sources' | 'title' | 'confidence'>, existing: string | null, day: string, authority: string): string {
  const folder = finding.target.slice(0, finding.target.indexOf('/'));
  let data: Record<string, unknown> = {};
  let body = '';
  if (existing !== null) {
    try {
      const parsed = matter(existing, {});
      data = { ...parsed.data };
      body = parsed.content.trim();
    } catch {
      body = existing.trim();
    }
  }
  const oldSources = Array.isArray(data.sources) ? data.sources.map(String) : [];
  const sources = [...new Set([...oldSources, ...finding.sources])];
  const content = finding.content.trim();
  const text = finding.change === 'append' && body ? `${body}\n\n${content}` : content;
  const front = {
    ...data,
    title: finding.title ?? (typeof data.title === 'string' ? data.title : titleFromTarget(finding.target)),
    brand: folder === 'global' ? 'global' : folder,
    updated: day,
    sources,
    confidence: finding.confidence,
    authority,
  };
  return matter.stringify(`\n${text}\n`, front);
}

/** The change as a unified diff, for the operator's approval. */
export function findingDiff(target: string, before: string | null, after: string): string {
  return createTwoFilesPatch(before === null ? '/dev/null' : `a/wiki/${target}.md`, `b/wiki/${target}.md`, before ?? '', after, '', '', { context: 2 })
    .split('\n')
    .slice(1)
    .join('\n');
}

/** Whether a page already holds what a finding adds (so a resumed run never adds it twice). */
export function pageHolds(text: string | null, finding: Pick<Finding, 'content'>): boolean {
  if (text === null) return false;
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
  return norm(text).includes(norm(finding.content));
}
