import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import detectIndent from 'detect-indent';
// The ESM build: the package's main entry is a UMD bundle whose dynamic requires a bundler cannot follow.
import { findNodeAtLocation, modify, applyEdits, parseTree, type JSONPath, type Node } from 'jsonc-parser/lib/esm/main.js';
import { BusyError } from '../errors.js';
import { FileLock } from '../state/lock.js';
import { lockWaitMs, type WorkspacePaths } from '../workspace/paths.js';
import { loadRegistryFile, parseRegistry, RegistryError } from './load.js';
import type { Registry } from './schema.js';

/** The registry as the file holds it: only what the operator wrote, no defaults filled in. */
export interface RawBrand {
  id: string;
  name?: string;
  repos?: Array<{ id: string; path?: string; [key: string]: unknown }>;
  [key: string]: unknown;
}
export interface RawRegistry {
  brands: RawBrand[];
  [key: string]: unknown;
}

/**
 * Changes registry.json by editing its text where the change is, so the
 * operator's layout (indentation, one-line repos, key order, every key the
 * command does not touch) stays as it was. `change` gets the file's text and
 * its parsed content and returns the new text; that text must parse and pass
 * the registry schema, or nothing is written. Runs under the workspace's
 * write lock (two `brand add` at once both land) and replaces the file
 * atomically (a crash leaves the old file or the new, never half of one).
 */
export function updateRegistryFile<T>(
  paths: WorkspacePaths,
  change: (text: string, raw: RawRegistry, registry: Registry) => { text: string; result: T },
  lockTimeoutMs = lockWaitMs() ?? 15_000,
): { registry: Registry; result: T } {
  mkdirSync(paths.data, { recursive: true });
  const lock = new FileLock(paths.writeLock, 'registry edit');
  const taken = lock.acquireSync(lockTimeoutMs);
  if (!taken.ok) {
    throw new BusyError(
      `the workspace's write lock is held by pid ${taken.holder?.pid ?? 'unknown'} for over ${Math.round(lockTimeoutMs / 1000)} s; try again, or run \`master doctor --fix\` if that process is stuck`,
    );
  }
  try {
    // Validated first: a command never builds on a registry that is already broken.
    const registry = loadRegistryFile(paths.registry);
    const original = readFileSync(paths.registry, 'utf8');
    const bom = original.charCodeAt(0) === 0xfeff ? '\ufeff' : '';
    const text = original.slice(bom.length);
    const { text: next, result } = change(text, JSON.parse(text) as RawRegistry, registry);
    let data: unknown;
    try {
      data = JSON.parse(next);
    } catch (error) {
      throw new RegistryError(paths.registry, [`the edit would not be valid JSON (${(error as Error).message}); nothing was written`]);
    }
    const updated = parseRegistry(data, paths.registry);
    const temp = path.join(path.dirname(paths.registry), `.registry.json.${process.pid}.tmp`);
    try {
      writeFileSync(temp, bom + next);
      renameSync(temp, paths.registry);
    } finally {
      rmSync(temp, { force: true });
    }
    return { registry: updated, result };
  } finally {
    lock.release();
  }
}

/** The file's layout: its indentation unit and line ending. */
function layoutOf(text: string): { unit: string; eol: string } {
  return { unit: detectIndent(text).indent || '  ', eol: text.includes('\r\n') ? '\r\n' : '\n' };
}

/** The whitespace a line starts with, for the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

/** `{ "id": "x", "path": "p" }`: the one-line style of a file that keeps its items on one line. */
function compact(value: unknown): string {
  if (Array.isArray(value)) return value.length ? `[${value.map(compact).join(', ')}]` : '[]';
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return entries.length ? `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${compact(v)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

/** A value laid out over lines, each continuation line starting with `indent`. */
function expanded(value: unknown, indent: string, unit: string, eol: string): string {
  return JSON.stringify(value, null, unit).split('\n').join(`${eol}${indent}`);
}

function nodeAt(text: string, at: JSONPath): Node | undefined {
  const root = parseTree(text);
  return root ? findNodeAtLocation(root, at) : undefined;
}

/**
 * Appends `value` to the array at `at` (which must exist), in the style of its
 * items: on one line when the last item is on one line, else laid out.
 */
export function appendToArray(text: string, at: JSONPath, value: unknown): string {
  const array = nodeAt(text, at);
  if (array?.type !== 'array') throw new Error(`no array at ${at.join('.')}`);
  const { unit, eol } = layoutOf(text);
  const items = array.children ?? [];
  const last = items.at(-1);
  if (last) {
    const indent = lineIndent(text, last.offset);
    const lastText = text.slice(last.offset, last.offset + last.length);
    const item = lastText.includes('\n') ? expanded(value, indent, unit, eol) : compact(value);
    const end = last.offset + last.length;
    return `${text.slice(0, end)},${eol}${indent}${item}${text.slice(end)}`;
  }
  const outer = lineIndent(text, array.offset);
  const inner = outer + unit;
  const body = `[${eol}${inner}${expanded(value, inner, unit, eol)}${eol}${outer}]`;
  return text.slice(0, array.offset) + body + text.slice(array.offset + array.length);
}

/** Sets a property of the object at `at` that it does not have yet (e.g. a brand's first `repos`). */
export function addProperty(text: string, at: JSONPath, key: string, value: unknown): string {
  const object = nodeAt(text, at);
  if (object?.type !== 'object') throw new Error(`no object at ${at.join('.')}`);
  const { unit, eol } = layoutOf(text);
  const objectText = text.slice(object.offset, object.offset + object.length);
  if (!objectText.includes('\n')) {
    // A one-line object stays one line: jsonc-parser's own edit, unformatted.
    return applyEdits(text, modify(text, [...at, key], value, {}));
  }
  const props = object.children ?? [];
  const last = props.at(-1);
  const indent = last ? lineIndent(text, last.offset) : lineIndent(text, object.offset) + unit;
  const entry = `${JSON.stringify(key)}: ${expanded(value, indent, unit, eol)}`;
  if (last) {
    const end = last.offset + last.length;
    return `${text.slice(0, end)},${eol}${indent}${entry}${text.slice(end)}`;
  }
  const close = object.offset + object.length - 1;
  return `${text.slice(0, close)}${eol}${indent}${entry}${eol}${lineIndent(text, object.offset)}${text.slice(close)}`;
}

/** Removes the array item at `at` (a path ending in its index) with its comma and its line. */
export function removeArrayItem(text: string, at: JSONPath): string {
  const item = nodeAt(text, at);
  const array = item?.parent;
  if (!item || !array || array.type !== 'array') throw new Error(`no array item at ${at.join('.')}`);
  const items = array.children!;
  const index = items.indexOf(item);
  const next = items[index + 1];
  const previous = items[index - 1];
  if (next) return text.slice(0, item.offset) + text.slice(next.offset);
  if (previous) return text.slice(0, previous.offset + previous.length) + text.slice(item.offset + item.length);
  // The only item: the array becomes `[]`.
  return `${text.slice(0, array.offset)}[]${text.slice(array.offset + array.length)}`;
}
