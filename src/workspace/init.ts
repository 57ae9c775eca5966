import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { parseRegistry } from '../registry/load.js';
import { registryJsonSchema, type RegistryInput } from '../registry/schema.js';
import { packageRoot } from './packageRoot.js';
import { findWorkspaceAbove, workspacePaths, type WorkspacePaths } from './paths.js';

export const SCHEMA_FILE = 'registry.schema.json';

/** Copies the shipped guard hooks into a workspace, keeping any file the operator already has. */
export function installHooks(paths: WorkspacePaths): string[] {
  mkdirSync(paths.hooks, { recursive: true });
  const source = path.join(packageRoot(), 'hooks');
  const installed: string[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(source).filter((n) => n.endsWith('.json'));
  } catch {
    return installed;
  }
  for (const name of names) {
    const target = path.join(paths.hooks, name);
    if (existsSync(target)) continue;
    copyFileSync(path.join(source, name), target);
    installed.push(name);
  }
  return installed;
}

/** Makes sure `.master/` is git-ignored in the workspace. */
export function ignoreDataFolder(home: string): void {
  const file = path.join(home, '.gitignore');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (current.split(/\r?\n/).some((line) => line.trim() === '.master/' || line.trim() === '.master')) return;
  const prefix = current && !current.endsWith('\n') ? '\n' : '';
  writeFileSync(file, `${current}${prefix}.master/\n`);
}

/** Writes a registry (validated first) plus its JSON Schema beside it. */
export function writeRegistry(paths: WorkspacePaths, input: RegistryInput): void {
  const registry = parseRegistry({ $schema: `./${SCHEMA_FILE}`, ...input }, paths.registry);
  writeFileSync(path.join(paths.home, SCHEMA_FILE), `${JSON.stringify(registryJsonSchema(), null, 2)}\n`);
  writeFileSync(paths.registry, `${JSON.stringify(registry, null, 2)}\n`);
}

/** Creates the workspace folder, or says clearly why it cannot be one (a file, no permission). */
export function ensureWorkspaceFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new UserError(`${dir} is a file, not a folder; pick a folder for the workspace`);
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`cannot create ${dir}: permission denied; pick a folder you can write to`);
    throw error;
  }
}

/**
 * Creates a workspace; refuses to overwrite an existing registry, and (unless
 * `force`) to nest one inside another workspace or its repos: commands find
 * the nearest registry.json above them, so a nested workspace would silently
 * take over every command run below it.
 */
export function initWorkspace(dir: string, options: { force?: boolean } = {}): { paths: WorkspacePaths; hooks: string[] } {
  const paths = workspacePaths(dir);
  if (existsSync(paths.registry)) {
    throw new UserError(`${paths.registry} already exists; master init never overwrites a registry (edit it, or pick another folder)`);
  }
  const outer = findWorkspaceAbove(path.dirname(paths.home));
  if (outer && !options.force) {
    const inRepo = gitTopLevelBelow(paths.home, outer);
    throw new UserError(
      `${paths.home} is inside ${inRepo ? `the repo ${inRepo} of ` : ''}the workspace ${outer}; commands run below it would use the new workspace instead of that one. ` +
        'Pick a folder outside it, or pass --force to create the nested workspace anyway',
    );
  }
  ensureWorkspaceFolder(paths.home);
  for (const folder of [paths.wiki, paths.data, paths.events]) mkdirSync(folder, { recursive: true });
  const hooks = installHooks(paths);
  ignoreDataFolder(paths.home);
  writeRegistry(paths, { brands: [], timezone: localTimeZone() });
  return { paths, hooks };
}

function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** The nearest folder with a `.git` between `dir` and `outer` (exclusive), or null: the repo a folder is in. */
function gitTopLevelBelow(dir: string, outer: string): string | null {
  for (let at = dir; at !== outer && path.dirname(at) !== at; at = path.dirname(at)) {
    if (existsSync(path.join(at, '.git'))) return at;
  }
  return null;
}
