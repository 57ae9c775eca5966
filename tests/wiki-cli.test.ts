import { appendFileSync, existsSync, readFileSync, unlinkSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { master } from './helpers/cli.js';
import { makeWikiWorkspace, page, writePages } from './helpers/wiki.js';

const wiki = (home: string, ...args: string[]) => master(['wiki', ...args, '--home', home]);

describe('master wiki', () => {
  it('lists pages, by brand, and refuses an unknown brand', () => {
    const home = makeWikiWorkspace();
    const all = wiki(home, 'list');
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/alpha\/deploy\/checklist\s+Deploy checklist/);
    const alpha = wiki(home, 'list', '--brand', 'alpha', '--json');
    expect(JSON.parse(alpha.stdout).map((p: { page: string }) => p.page)).toEqual(['alpha/deploy/checklist', 'alpha/notes', 'alpha/release-process']);
    const bad = wiki(home, 'list', '--brand', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown brand "nope"');
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  });

  it('shows a page by name, by unique file name and by alias; an unknown page exits 2', () => {
    const home = makeWikiWorkspace();
    expect(wiki(home, 'show', 'alpha/release-process').stdout).toContain('Ship alpha releases on Tuesdays');
    expect(wiki(home, 'show', 'release-process.md').stdout).toContain('Ship alpha releases');
    expect(wiki(home, 'show', 'house-style').stdout).toContain('Beta writes short sentences');
    const ambiguous = wiki(home, 'show', 'checklist');
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain('alpha/deploy/checklist');
    const missing = wiki(home, 'show', 'no-such-page');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no wiki page "no-such-page"');
  });

  it('searches best first with snippets, filters by brand, and picks up pages edited between runs', () => {
    const home = makeWikiWorkspace();
    const first = wiki(home, 'search', 'deploy', '--json');
    expect(first.code, first.stderr).toBe(0);
    const hits = JSON.parse(first.stdout) as Array<{ page: string; title: string; score: number; snippet: string }>;
    expect(hits[0]!.page).toBe('alpha/deploy/checklist');
    expect(hits.map((h) => h.score)).toEqual([...hits.map((h) => h.score)].sort((a, b) => b - a));
    expect(hits[0]!.snippet.toLowerCase()).toContain('deploy');
    expect(Object.keys(hits[0]!).sort()).toEqual(['page', 'score', 'snippet', 'title']);
    expect(existsSync(path.join(home, '.master/wiki/search.idx'))).toBe(true);

    const beta = JSON.parse(wiki(home, 'search', 'release', '--brand', 'beta', '--json').stdout) as Array<{ page: string }>;
    expect(beta.every((h) => h.page.startsWith('beta/'))).toBe(true);

    // Edited by hand between runs (same size is not assumed): the index follows the file.
    const file = path.join(home, 'wiki/global/lonely.md');
    appendFileSync(file, '\nZebracorn migration notes.\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    writePages(home, { 'beta/new-page': page('New page', 'beta', 'Zebracorn launch plan. See [[style]].') });
    unlinkSync(path.join(home, 'wiki/alpha/notes.md'));
    const after = JSON.parse(wiki(home, 'search', 'zebracorn', '--json').stdout) as Array<{ page: string }>;
    expect(after.map((h) => h.page).sort()).toEqual(['beta/new-page', 'global/lonely']);
    // That search folded the changes into the index file: none waits for the next one.
    expect(JSON.parse(readFileSync(path.join(home, '.master/wiki/search-meta.json'), 'utf8')).pending).toEqual({});
    expect(JSON.parse(wiki(home, 'search', 'half-done', '--json').stdout)).toEqual([]);
    expect(wiki(home, 'search', 'zzzqqq').stdout).toContain('no page matches');
  });

  it('lists links out and back, across subfolders, labels, headings and aliases', () => {
    const home = makeWikiWorkspace();
    const result = wiki(home, 'links', 'alpha/release-process', '--json');
    expect(result.code, result.stderr).toBe(0);
    const links = JSON.parse(result.stdout);
    expect(links.out.map((l: { page?: string }) => l.page)).toEqual(['alpha/deploy/checklist', 'beta/style', 'global/conventions']);
    expect(links.out[2]).toMatchObject({ heading: 'Incidents', label: 'everyone' });
    expect(links.back).toEqual(['alpha/deploy/checklist', 'alpha/notes', 'beta/style', 'global/conventions']);
    expect(wiki(home, 'links', 'global/conventions').stdout).toContain('linked from (1):\n  alpha/release-process');
  });

  it('lint finds every kind of problem and exits 1; a clean wiki exits 0', () => {
    const home = makeWikiWorkspace();
    const result = wiki(home, 'lint', '--json');
    expect(result.code).toBe(1);
    const problems = JSON.parse(result.stdout) as Array<{ page: string; kind: string; message: string }>;
    const has = (page: string, kind: string, text = '') => problems.some((p) => p.page === page && p.kind === kind && p.message.includes(text));
    expect(has('alpha/notes', 'broken link', 'missing-page')).toBe(true);
    expect(has('alpha/notes', 'broken heading', 'Nowhere')).toBe(true);
    expect(has('beta/checklist', 'ambiguous link', 'alpha/deploy/checklist')).toBe(true);
    expect(has('beta/broken', 'bad frontmatter', 'updated')).toBe(true);
    expect(has('global/lonely', 'orphan')).toBe(true);
    expect(problems.some((p) => p.kind === 'broken link' && p.page.startsWith('alpha/release'))).toBe(false);
    expect(problems.some((p) => p.page === 'ledger/2026-11-30')).toBe(false);

    writePages(home, { 'beta/dup': page('House style', 'beta', 'Same title as [[style]].') });
    expect(JSON.parse(wiki(home, 'lint', '--json').stdout).filter((p: { kind: string }) => p.kind === 'duplicate title')).toHaveLength(2);

    const clean = makeWikiWorkspace();
    for (const name of ['alpha/notes', 'beta/checklist', 'beta/broken', 'global/lonely']) unlinkSync(path.join(clean, 'wiki', `${name}.md`));
    const ok = wiki(clean, 'lint');
    expect(ok.stdout + ok.stderr).toContain('no problems');
    expect(ok.code).toBe(0);
  });
});
