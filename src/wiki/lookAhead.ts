import { Worker } from 'node:worker_threads';

/** What the look in the worker found: the manifest it compared against, and whether every page is as that manifest has it. */
export interface LookVerdict {
  id: string | null;
  same: boolean;
}

/**
 * The worker's code: the walk of `scanPages` (same rules: dot entries
 * skipped, the top README is no page, lstat so a link is no page) compared,
 * page by page, with the manifest's mtime and size. It stops at the first
 * difference: the caller then takes the ordinary full look, which finds
 * and applies every change. Plain CommonJS, as an eval'd worker runs it:
 * it must not depend on how the CLI is bundled.
 */
const CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const path = require('node:path');
let id = null;
let same = false;
try {
  const m = JSON.parse(fs.readFileSync(workerData.manifest, 'utf8'));
  if (m.version !== workerData.version || !Array.isArray(m.names) || !Array.isArray(m.stamps)) throw new Error('unusable');
  id = m.id;
  const at = new Map();
  for (let i = 0; i < m.names.length; i++) at.set(m.names[i], i);
  let found = 0;
  same = true;
  const walk = (dir, prefix) => {
    let entries;
    try {
      entries = fs.readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      if (!same) return;
      if (name.startsWith('.')) continue;
      if (prefix === '' && name.toLowerCase() === 'readme.md') continue;
      const full = dir + path.sep + name;
      const info = fs.lstatSync(full, { throwIfNoEntry: false });
      if (!info) continue;
      if (info.isDirectory()) walk(full, prefix + name + '/');
      else if (name.endsWith('.md') && info.isFile()) {
        const i = at.get(prefix + name.slice(0, -3));
        if (i === undefined || m.stamps[2 * i] !== info.mtimeMs || m.stamps[2 * i + 1] !== info.size) same = false;
        else found++;
      }
    }
  };
  walk(workerData.root, '');
  if (found !== m.names.length) same = false;
} catch {
  same = false;
}
parentPort.postMessage({ id, same });
`;

/**
 * Starts the look at every page's mtime and size on another thread, so a
 * one-query command can search the index as the manifest has it meanwhile
 * (the look is most of such a command's work on a big wiki, and nearly
 * always finds nothing changed). Resolves to "changed" (same: false) when
 * the worker fails in any way: the caller then looks itself.
 */
export function lookAhead(wikiRoot: string, manifestFile: string, manifestVersion: number): { verdict: Promise<LookVerdict> } {
  let worker: Worker;
  try {
    worker = new Worker(CODE, { eval: true, workerData: { root: wikiRoot, manifest: manifestFile, version: manifestVersion } });
  } catch {
    return { verdict: Promise.resolve({ id: null, same: false }) };
  }
  const verdict = new Promise<LookVerdict>((resolve) => {
    worker.once('message', (m: LookVerdict) => resolve(m));
    worker.once('error', () => resolve({ id: null, same: false }));
    worker.once('exit', () => resolve({ id: null, same: false }));
  });
  return { verdict };
}
