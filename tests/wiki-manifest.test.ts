import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PageStamp, Stamps } from '../src/wiki/manifest.js';
import { Wiki } from '../src/wiki/wiki.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { makeWikiWorkspace, page, writePages } from './helpers/wiki.js';

const derived = (home: string, ...parts: string[]) => path.join(home, '.master', 'wiki', ...parts);
const hash = (c: string) => c.repeat(40);

const STAMPS: Array<[string, PageStamp]> = [
  ['umano/release-process', { mtimeMs: 1764662700123.4568, size: 812, hash: hash('a') }],
  ['global/conventions', { mtimeMs: 1, size: 0, hash: hash('b') }],
  ['umano/é-notes/ünïcode page', { mtimeMs: 1764662700999.25, size: 2 ** 40, hash: hash('c') }],
  ['top', { mtimeMs: 0.5, size: 7, hash: hash('d') }],
];

function asList(stamps: Stamps): Array<[string, PageStamp]> {
  return stamps.names.map((name, i) => [name, { mtimeMs: stamps.mtimeAt(i), size: stamps.sizeAt(i), hash: stamps.hashAt(i) }]);
}

describe('the wiki manifest file', () => {
  it('reads back every stamp exactly as written, names in any script, fractional mtimes and sizes past 4 GiB', () => {
    const stamps = Stamps.of(STAMPS);
    const read = Stamps.fromBytes(stamps.toBytes('m-1'));
    expect(read.id).toBe('m-1');
    expect(asList(read.stamps)).toEqual([...STAMPS].sort(([a], [b]) => (a < b ? -1 : 1)));
    expect(read.stamps.indexOf('umano/é-notes/ünïcode page')).toBe(3);
    expect(read.stamps.indexOf('umano/missing')).toBe(-1);
    // A guess that is wrong still finds the page.
    expect(read.stamps.indexOf('global/conventions', 3)).toBe(0);
    expect(Stamps.fromBytes(Stamps.of([]).toBytes('m-2'))).toMatchObject({ id: 'm-2' });
  });

  it('reads the numbers from a buffer that does not start on an 8-byte boundary', () => {
    const bytes = Stamps.of(STAMPS).toBytes('m-1');
    const shifted = Buffer.alloc(bytes.length + 3);
    bytes.copy(shifted, 3);
    const odd = shifted.subarray(3);
    expect(odd.byteOffset % 8).not.toBe(0);
    expect(asList(Stamps.fromBytes(odd).stamps)).toEqual(asList(Stamps.of(STAMPS)));
  });

  it('reads a damaged, cut short, foreign or earlier-format file as no manifest (so the pages are looked at again)', () => {
    const bytes = Stamps.of(STAMPS).toBytes('m-1');
    const none = { id: null };
    expect(Stamps.fromBytes(bytes.subarray(0, bytes.length - 1))).toMatchObject(none);
    expect(Stamps.fromBytes(Buffer.concat([bytes, Buffer.from('x')]))).toMatchObject(none);
    expect(Stamps.fromBytes(Buffer.from(JSON.stringify({ version: 3, id: 'x', names: [], stamps: [], hashes: '' })))).toMatchObject(none);
    expect(Stamps.fromBytes(Buffer.from('master-wiki-manifest 4 m-1 2 4\nb\0a\0'))).toMatchObject(none);
    expect(Stamps.fromBytes(Buffer.alloc(0))).toMatchObject(none);
    // Names out of order would send the binary search astray: refused rather than misread.
    const swapped = Buffer.from(bytes);
    const at = swapped.indexOf('global/conventions');
    swapped.write('zlobal', at);
    expect(Stamps.fromBytes(swapped)).toMatchObject(none);
  });

  it('replaces the JSON manifest of an earlier version, and a hand edit in place is still found', () => {
    const home = makeWikiWorkspace();
    const paths = workspacePaths(home);
    void Wiki.open(paths).index.size;
    writeFileSync(derived(home, 'manifest.json'), readFileSync(derived(home, 'manifest.bin')));
    writeFileSync(derived(home, 'manifest.bin'), '{"version":3}');
    const upgraded = Wiki.open(paths);
    // Every page is looked at again; the index, comparing content hashes, finds none changed.
    expect(upgraded.index.updated).toBe(0);
    expect(existsSync(derived(home, 'manifest.json'))).toBe(false);
    expect(Stamps.read(derived(home, 'manifest.bin')).id).toBe(upgraded.catalog.id);
    // An editor writing in place moves no folder's mtime: only the page's own stamp tells.
    const file = path.join(home, 'wiki', 'beta', 'style.md');
    writePages(home, { 'beta/style': page('House style', 'beta', 'Beta writes about wombats.', 'aliases: [house-style]\n') });
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const wiki = Wiki.open(paths);
    expect(wiki.catalog.changed).toEqual(['beta/style']);
    expect(wiki.index.query('wombats').map((h) => h.page)).toEqual(['beta/style']);
  });
});
