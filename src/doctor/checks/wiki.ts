import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadCatalog } from '../../wiki/catalog.js';
import { lintWiki } from '../../wiki/lint.js';
import { WikiIndex } from '../../wiki/search.js';
import { pass, type CheckGroup, type CheckResult } from '../types.js';

const ID = 'wiki';
const TITLE = 'the wiki: pages valid, links resolve, ledger writable, written only by its authorities, index in step';

/** Pages written by an agent outside its authority, from the event log's `wiki.write` records. */
function unauthorisedWrites(eventsDir: string): string[] {
  let files: string[];
  try {
    files = readdirSync(eventsDir).filter((f) => f.endsWith('.ndjson'));
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const file of files) {
    let text;
    try {
      text = readFileSync(path.join(eventsDir, file), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"wiki.write"')) continue;
      let event: { type?: string; page?: string; authority?: string; brand?: string };
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (event.type !== 'wiki.write' || !event.page) continue;
      const folder = event.page.split('/')[0];
      const ok = (event.authority === 'operator-global' && folder === 'global') || (event.authority === 'librarian' && folder === event.brand);
      if (!ok) out.push(`${event.page} by ${event.authority ?? 'an unknown agent'}`);
    }
  }
  return out;
}

/**
 * One check for the wiki. Failing: the ledger cannot be written, or the
 * log shows a page written outside its authority. Page problems (bad
 * frontmatter, broken links, ...) and an index behind the files are
 * warnings: they should not stop every merge, and `master wiki lint` lists them.
 */
export const wikiChecks: CheckGroup = (ctx) => {
  const { paths } = ctx;
  if (!existsSync(paths.wiki)) {
    return [{ id: ID, title: TITLE, status: 'warn', message: `${paths.wiki} does not exist`, fix: 'create it (`mkdir wiki`), or run `master init`' }];
  }
  const ledger = path.join(paths.wiki, 'ledger');
  try {
    accessSync(existsSync(ledger) ? ledger : paths.wiki, constants.W_OK);
  } catch {
    return [{ id: ID, title: TITLE, status: 'fail', message: `the ledger folder ${ledger} is not writable`, fix: `make it writable (chmod u+w ${existsSync(ledger) ? ledger : paths.wiki})` }];
  }
  const wrong = unauthorisedWrites(paths.events);
  if (wrong.length) {
    return [{ id: ID, title: TITLE, status: 'fail', message: `pages written outside their authority: ${wrong.slice(0, 5).join('; ')}`, fix: 'review those pages (git log / the event log) and restore them; check the registry\'s contract overrides' }];
  }
  const catalog = loadCatalog(paths.wiki, paths.data);
  const problems = lintWiki(catalog, ctx.registry ?? undefined);
  const serious = problems.filter((p) => p.kind !== 'orphan');
  const results: CheckResult[] = [];
  let stale = 0;
  if (existsSync(WikiIndex.indexFile(paths.data))) {
    const indexed = WikiIndex.peekHashes(paths.data);
    for (const page of catalog.pages.values()) if (indexed.get(page.name) !== page.hash) stale++;
    for (const name of indexed.keys()) if (!catalog.pages.has(name)) stale++;
  }
  if (serious.length) {
    const kinds = [...new Set(serious.map((p) => p.kind))].join(', ');
    results.push({ id: ID, title: TITLE, status: 'warn', message: `${serious.length} problem${serious.length === 1 ? '' : 's'} in ${catalog.pages.size} pages (${kinds}), e.g. ${serious[0]!.page}: ${serious[0]!.message}`, fix: '`master wiki lint` lists them all' });
  } else if (stale) {
    results.push({ id: ID, title: TITLE, status: 'warn', message: `the search index is behind the files by ${stale} page${stale === 1 ? '' : 's'}`, fix: 'any `master wiki search` brings it up to date' });
  } else results.push(pass(ID, TITLE, `${catalog.pages.size} pages, links resolve, ledger writable`));
  return results;
};
