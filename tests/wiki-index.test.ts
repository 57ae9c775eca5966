import { readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WikiIndex } from '../src/wiki/search.js';
import { Wiki } from '../src/wiki/wiki.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { makeWikiWorkspace, page, writePages } from './helpers/wiki.js';

const open = (home: string) => Wiki.open(workspacePaths(home));
const found = (home: string, words: string) =>
  open(home)
    .index.query(words)
    .map((h) => h.page);
const derived = (home: string, ...parts: string[]) => path.join(home, '.master', 'wiki', ...parts);

describe('the wiki index on disk', () => {
  it('re-indexes only a changed page, in a fresh open, and finds its new words and not its old ones', () => {
    const home = makeWikiWorkspace();
    expect(open(home).index.updated).toBeGreaterThan(5);
    expect(open(home).index.updated).toBe(0);
    writePages(home, { 'beta/style': page('House style', 'beta', 'Beta now writes about quokkas.', 'aliases: [house-style]\n') });
    const wiki = open(home);
    expect(wiki.index.updated).toBe(1);
    expect(wiki.catalog.changed).toEqual(['beta/style']);
    expect(found(home, 'quokkas')).toEqual(['beta/style']);
    expect(found(home, 'sentences')).toEqual([]);
    // The parsed details of the page follow too (title, links), not only the search.
    expect(open(home).find('beta/style')!.links).toEqual([]);
    unlinkSync(path.join(home, 'wiki/beta/style.md'));
    expect(open(home).index.updated).toBe(1);
    expect(found(home, 'quokkas')).toEqual([]);
    expect(open(home).find('house-style')).toBeNull();
  });

  it('writes the big index file again once enough changed pages have gathered, and keeps every change', () => {
    const home = makeWikiWorkspace();
    open(home).index.size;
    const before = readFileSync(derived(home, 'search.idx'), 'utf8');
    const many: Record<string, string> = {};
    for (let i = 0; i < 300; i++) many[`alpha/bulk/page-${i}`] = page(`Bulk ${i}`, 'alpha', `Note number n${i} about wombats.`);
    writePages(home, many);
    const wiki = open(home);
    expect(wiki.index.updated).toBe(300);
    expect(readFileSync(derived(home, 'search.idx'), 'utf8')).not.toBe(before);
    expect(JSON.parse(readFileSync(derived(home, 'search-meta.json'), 'utf8')).pending).toEqual({});
    expect(found(home, 'n299')).toEqual(['alpha/bulk/page-299']);
    expect(open(home).index.query('wombats', { limit: 1000 })).toHaveLength(300);
  });

  it('rebuilds a corrupt or missing index and catalog instead of failing', () => {
    const home = makeWikiWorkspace();
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    writeFileSync(derived(home, 'search.idx'), 'master-wiki-index 3 40\n{"table": {"broken": tr');
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    writeFileSync(derived(home, 'search-meta.json'), 'not json');
    writeFileSync(derived(home, 'manifest.json'), '[]');
    for (const part of readdirSync(derived(home, 'pages'))) writeFileSync(derived(home, 'pages', part), '{');
    const wiki = open(home);
    expect(wiki.find('house-style')?.name).toBe('beta/style');
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    rmSync(derived(home), { recursive: true });
    expect(found(home, 'deploy')[0]).toBe('alpha/deploy/checklist');
    expect(WikiIndex.peekHashes(workspacePaths(home).data).size).toBe(open(home).catalog.names.size);
  });

  it('a view restricted to some pages reads only their folders and never resolves another', () => {
    const home = makeWikiWorkspace();
    open(home);
    rmSync(derived(home, 'pages', `${encodeURIComponent('vault')}.json`));
    const alpha = open(home).restrictedTo((name) => name.startsWith('alpha/'));
    expect([...alpha.catalog.pages.keys()]).toEqual(['alpha/deploy/checklist', 'alpha/notes', 'alpha/release-process']);
    expect(alpha.find('vault/strategy')).toBeNull();
    expect(alpha.search('release').every((h) => h.page.startsWith('alpha/'))).toBe(true);
  });
});
