import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type * as z from 'zod/mini';
import { FileProblemsError } from '../errors.js';
import { formatPath } from '../registry/load.js';
import { BUILTIN_GUARDS, HookFileSchema, type HookSpec } from './hookFile.js';

/** A hook file that cannot be read, is not JSON, or does not fit the schema: the message names the file. */
export class HookFileError extends FileProblemsError {
  constructor(file: string, problems: string[]) {
    super(file, problems);
    this.name = 'HookFileError';
  }
}

function describe(issue: z.core.$ZodIssue): string {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (a hook has event, matcher, guard or command, timeout, enabled, and its guard's options)`;
  }
  if (issue.code === 'invalid_value') return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${issue.message}`;
}

/** Parses one hook file's text; throws a HookFileError naming the file. */
export function parseHookFile(file: string, text: string): HookSpec {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new HookFileError(file, [`not valid JSON: ${(error as Error).message}`]);
  }
  const result = HookFileSchema.safeParse(data);
  if (!result.success) throw new HookFileError(file, result.error.issues.map(describe));
  return { ...result.data, file: path.basename(file) };
}

/** The hook files of a folder (`*.json`), by name. */
function hookFileNames(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json') && !name.startsWith('.'))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new HookFileError(dir, [`cannot read the folder (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
  }
}

/**
 * Loads every hook of a workspace's `hooks/` folder, in the chain's order:
 * built-in guards first (confinement first), then the others by file name.
 * The first file that does not parse throws.
 */
export function loadHooks(dir: string): HookSpec[] {
  const hooks = hookFileNames(dir).map((name) => {
    const file = path.join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new HookFileError(file, [`cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`]);
    }
    return parseHookFile(file, text);
  });
  return orderHooks(hooks);
}

/** Every hook problem of a folder (for the doctor), without throwing. */
export function inspectHooks(dir: string): { hooks: HookSpec[]; problems: Array<{ file: string; message: string }> } {
  const hooks: HookSpec[] = [];
  const problems: Array<{ file: string; message: string }> = [];
  let names: string[] = [];
  try {
    names = hookFileNames(dir);
  } catch (error) {
    return { hooks, problems: [{ file: dir, message: (error as Error).message }] };
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      hooks.push(parseHookFile(file, readFileSync(file, 'utf8')));
    } catch (error) {
      problems.push({ file, message: error instanceof HookFileError ? error.message : `${file}: ${(error as Error).message}` });
    }
  }
  return { hooks: orderHooks(hooks), problems };
}

/** Which built-in guards are present and enabled (for the doctor). */
export function builtinStatus(hooks: HookSpec[]): Record<(typeof BUILTIN_GUARDS)[number], 'on' | 'disabled' | 'missing'> {
  const status = Object.fromEntries(BUILTIN_GUARDS.map((g) => [g, 'missing'])) as Record<(typeof BUILTIN_GUARDS)[number], 'on' | 'disabled' | 'missing'>;
  for (const hook of hooks) {
    if (!hook.guard) continue;
    if (hook.enabled) status[hook.guard] = 'on';
    else if (status[hook.guard] === 'missing') status[hook.guard] = 'disabled';
  }
  return status;
}

function rank(hook: HookSpec): number {
  return hook.guard ? BUILTIN_GUARDS.indexOf(hook.guard) : BUILTIN_GUARDS.length;
}

function orderHooks(hooks: HookSpec[]): HookSpec[] {
  return [...hooks].sort((a, b) => rank(a) - rank(b) || a.file.localeCompare(b.file));
}
