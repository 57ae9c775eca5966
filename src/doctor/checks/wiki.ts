import { accessSync, closeSync, constants, existsSync, openSync, readSync, readdirSync } from 'node:fs';
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
    // Read in chunks and only the lines that name the event are parsed: the log can be large.
    for (const line of linesWith(path.join(eventsDir, file), '"wiki.write"')) {
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

/** The lines of a file that contain `needle`, read a few MiB at a time. */
function linesWith(file: string, needle: string): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  const found: string[] = [];
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  let kept = 0;
  try {
    let n: number;
    while ((n = readSync(fd, chunk, kept, chunk.length - kept, null)) > 0) {
      const length = kept + n;
      let end = chunk.lastIndexOf(0x0a, length - 1) + 1;
      // A line longer than the chunk is searched in pieces (a needle across two pieces is missed, as no event line is that long).
      if (end === 0) end = length;
      collect(chunk.subarray(0, end), needle, found);
      chunk.copy(chunk, 0, end, length);
      kept = length - end;
    }
    collect(chunk.subarray(0, kept), needle, found);
  } finally {
    closeSync(fd);
  }
  return found;
}

function collect(data: Buffer, needle: string, found: string[]): void {
  let at = data.indexOf(needle);
  while (at !== -1) {
    const start = data.lastIndexOf(0x0a, at) + 1;
    let end = data.indexOf(0x0a, at);
    if (end === -1) end = data.length;
    found.push(data.subarray(start, end).toString('utf8'));
    at = data.indexOf(needle, end);
  }
}

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
    return [
      {
        id: ID,
        title: TITLE,
        status: 'fail',
        message: `pages written outside their authority: ${wrong.slice(0, 5).join('; ')}`,
        fix: "review those pages (git log / the event log) and restore them; check the registry's contract overrides",
      },
    ];
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
    results.push({
      id: ID,
      title: TITLE,
      status: 'warn',
      message: `${serious.length} problem${serious.length === 1 ? '' : 's'} in ${catalog.pages.size} pages (${kinds}), e.g. ${serious[0]!.page}: ${serious[0]!.message}`,
      fix: '`master wiki lint` lists them all',
    });
  } else if (stale) {
    results.push({
      id: ID,
      title: TITLE,
      status: 'warn',
      message: `the search index is behind the files by ${stale} page${stale === 1 ? '' : 's'}`,
      fix: 'any `master wiki search` brings it up to date',
    });
  } else results.push(pass(ID, TITLE, `${catalog.pages.size} pages, links resolve, ledger writable`));
  return results;
};
