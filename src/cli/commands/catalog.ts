import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExitCode, UserError } from '../../errors.js';
import { GitRepo, RepoError, runGit, trustRepo } from '../../git/index.js';
import { appendToArray, addProperty, removeArrayItem, updateRegistryFile } from '../../registry/edit.js';
import { findBrand, findRepo, loadRegistryFile, repoPath } from '../../registry/load.js';
import type { Registry } from '../../registry/schema.js';
import { sanitizeLine } from '../../sanitize.js';
import type { Ticket } from '../../state/types.js';
import { openWorkspace } from '../../workspace/open.js';
import { resolveHome, workspacePaths, type WorkspacePaths } from '../../workspace/paths.js';
import { confirm, interactive, processTerminal, type Terminal } from '../confirm.js';
import { json, out } from '../output.js';

type Home = () => string | undefined;

const OPEN = (t: Ticket) => t.state !== 'merged' && t.state !== 'cancelled';

function pathsOf(home: Home): WorkspacePaths {
  return workspacePaths(resolveHome(home()));
}

/** `master brand list [--json]`: every brand with its repos. */
export function brandListCommand(home: Home) {
  return async (options: { json?: boolean }): Promise<void> => {
    const registry = loadRegistryFile(pathsOf(home).registry);
    if (options.json) {
      json(registry.brands.map((b) => ({ id: b.id, name: b.name, silo: b.silo, repos: b.repos.map((r) => ({ id: r.id, path: r.path, mainBranch: r.mainBranch })) })));
      return;
    }
    if (registry.brands.length === 0) {
      out('no brands yet; add one with `master brand add ID --name NAME`');
      return;
    }
    for (const brand of registry.brands) {
      out(`${brand.id}  ${sanitizeLine(brand.name)}${brand.silo ? '  (silo)' : ''}`);
      if (brand.repos.length === 0) out('  (no repos: `master repo add ' + brand.id + ' REPO PATH`)');
      for (const repo of brand.repos) out(`  ${repo.id}  ${sanitizeLine(repo.path)}  (${sanitizeLine(repo.mainBranch)})`);
    }
  };
}

/** `master brand add ID --name NAME [--silo]`. */
export function brandAddCommand(home: Home) {
  return async (id: string, options: { name?: string; silo?: boolean }): Promise<void> => {
    const paths = pathsOf(home);
    const brand = { id, name: options.name ?? id, ...(options.silo ? { silo: true } : {}), repos: [] };
    updateRegistryFile(paths, (text, raw) => {
      if (!Array.isArray(raw.brands)) throw new UserError(`${paths.registry} has no "brands" list`);
      if (raw.brands.some((b) => b.id === id)) throw new UserError(`brand "${id}" already exists; \`master brand list\` shows the brands`);
      return { text: appendToArray(text, ['brands'], brand), result: undefined };
    });
    out(`brand ${id} added${options.silo ? ' (a silo)' : ''}; add its repos with \`master repo add ${id} REPO PATH\``);
  };
}

/**
 * Cancels the open tickets of a brand (or one repo of it) for a removal with
 * --force, or refuses the removal naming them. Cancelled tickets stay in the
 * log and `ticket list --all` (reopening one needs its brand back).
 */
async function settleOpenTickets(home: Home, what: string, match: (t: Ticket) => boolean, force: boolean): Promise<string[]> {
  const ws = await openWorkspace(home());
  try {
    const open = Object.values(ws.store.state.tickets).filter((t) => match(t) && OPEN(t));
    if (open.length === 0) return [];
    const ids = open.map((t) => t.id);
    if (!force) {
      throw new UserError(
        `${what} has ${open.length} open ticket${open.length === 1 ? '' : 's'} (${ids.join(', ')}); finish or cancel ${open.length === 1 ? 'it' : 'them'} first, or pass --force to cancel ${open.length === 1 ? 'it' : 'them'} with the removal`,
      );
    }
    for (const id of ids) ws.tickets.transition(id, 'cancel', { by: 'operator', note: `${what} was removed from the registry` });
    return ids;
  } finally {
    await ws.store.close({ snapshotIfBehind: 200 });
  }
}

/** `master brand remove ID [--force]`: refused while the brand has open tickets, unless --force cancels them. */
export function brandRemoveCommand(home: Home) {
  return async (id: string, options: { force?: boolean }): Promise<void> => {
    const paths = pathsOf(home);
    findBrand(loadRegistryFile(paths.registry), id);
    const cancelled = await settleOpenTickets(home, `brand ${id}`, (t) => t.brand === id, options.force ?? false);
    updateRegistryFile(paths, (text, raw) => {
      const index = raw.brands.findIndex((b) => b.id === id);
      if (index < 0) throw new UserError(`brand "${id}" is no longer in the registry (removed meanwhile?)`);
      return { text: removeArrayItem(text, ['brands', index]), result: undefined };
    });
    if (cancelled.length) out(`cancelled ${cancelled.length} open ticket${cancelled.length === 1 ? '' : 's'} of ${id}: ${cancelled.join(', ')}`);
    out(`brand ${id} removed from the registry (its repos' folders and its wiki pages are left as they are)`);
  };
}

interface RepoAddOptions {
  mainBranch?: string;
  clone?: boolean;
  into?: string;
  test?: string;
  lint?: string;
  typecheck?: string;
}

/** A clone URL (`https://`, `ssh://`, `git://`, `file://`, or `user@host:path`), as opposed to a folder. */
export function isUrl(source: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(source) || /^[\w.-]+@[\w.-]+:/.test(source);
}

const ALLOWED_SCHEMES = /^(https?|ssh|git|file):\/\//i;

/** The path as registry.json keeps it: relative to the workspace when inside it, else absolute. */
function registryPath(home: string, folder: string): string {
  const relative = path.relative(home, folder);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : folder;
}

async function cloneInto(url: string, dest: string): Promise<void> {
  if (!ALLOWED_SCHEMES.test(url) && !/^[\w.-]+@[\w.-]+:/.test(url)) {
    throw new UserError(`cannot clone ${url}: only https, ssh, git and file URLs (or user@host:path) are cloned`);
  }
  if (existsSync(dest)) throw new UserError(`cannot clone into ${dest}: it already exists; pass --into DIR for another folder, or give that folder instead of the URL`);
  mkdirSync(path.dirname(dest), { recursive: true });
  // From a neutral folder: git must not pick up a repository the workspace itself may be in.
  const outcome = await runGit(tmpdir(), ['clone', '--quiet', '--', url, dest]);
  if (outcome.code !== 0) throw new UserError(`git clone ${url} failed: ${(outcome.stderr || outcome.stdout).trim() || `exit ${outcome.code}`}`, ExitCode.failed);
}

/** The branch a fresh clone checked out (its remote's default), or null. */
async function checkedOutBranch(dir: string): Promise<string | null> {
  // A clone master just made (or a folder the registry is about to name) is trusted like every registry repo.
  trustRepo(dir);
  const outcome = await runGit(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return outcome.code === 0 ? outcome.stdout.trim() || null : null;
}

/** Opens the folder as the repo the registry will name: it exists, is a repo (its top level) and has its main branch. */
async function validateRepo(folder: string, id: string, mainBranch: string, cloned: boolean): Promise<void> {
  try {
    await GitRepo.open(folder, { id, mainBranch });
  } catch (error) {
    if (!(error instanceof RepoError)) throw error;
    if (error.kind === 'missing') throw new UserError(`${folder} does not exist; give the folder of a clone, or a URL with --clone`);
    if (error.kind === 'not-a-repo') throw new UserError(`${folder} is not a git repository (no .git in it); give the top folder of a clone`);
    if (error.kind === 'no-main-branch') {
      const current = await checkedOutBranch(folder);
      throw new UserError(
        `${folder} has no branch "${mainBranch}"${current ? ` (it is on "${current}")` : ''}; pass --main-branch NAME for the branch the gate merges into${cloned ? ` (the clone is kept in ${folder})` : ''}`,
      );
    }
    throw new UserError(`${folder}: ${error.message}`);
  }
}

/**
 * Whether to clone a URL: `--clone` / `--no-clone` say so; without either, a
 * person at a terminal is asked, and a script (no terminal) is told to pass `--clone`.
 */
async function shouldClone(url: string, dest: string, clone: boolean | undefined, terminal: Terminal): Promise<boolean> {
  if (clone !== undefined) return clone;
  if (!interactive(terminal)) return false;
  const yes = await confirm(terminal, `clone ${url} into ${dest}?`);
  if (!yes) throw new UserError(`not cloned, nothing added; give the folder of an existing clone, or run it again with --clone`, ExitCode.failed);
  return true;
}

/** `master repo add BRAND REPO SOURCE`: SOURCE a clone's folder, or a URL cloned with --clone (or after a yes at the terminal). */
export function repoAddCommand(home: Home, terminal: Terminal = processTerminal()) {
  return async (brandId: string, id: string, source: string, options: RepoAddOptions): Promise<void> => {
    const paths = pathsOf(home);
    const registry = loadRegistryFile(paths.registry);
    const brand = findBrand(registry, brandId);
    const taken = registry.brands.find((b) => b.repos.some((r) => r.id === id));
    if (taken) throw new UserError(`repo "${id}" already exists in brand "${taken.id}"; repo ids are unique across the workspace`);
    let folder: string;
    let mainBranch = options.mainBranch;
    if (isUrl(source)) {
      folder = path.resolve(paths.home, options.into ?? path.join('repos', id));
      if (!(await shouldClone(source, registryPath(paths.home, folder), options.clone, terminal))) {
        const dest = registryPath(paths.home, folder);
        if (options.clone === false) throw new UserError(`${source} is a URL and --no-clone was given: give the folder of an existing clone instead`);
        throw new UserError(`${source} is a URL: add --clone to clone it into ${dest} (or --into DIR for another folder), or give the folder of an existing clone`);
      }
      await cloneInto(source, folder);
      mainBranch ??= (await checkedOutBranch(folder)) ?? 'main';
      await validateRepo(folder, id, mainBranch, true);
    } else {
      if (options.clone) throw new UserError(`--clone needs a URL; ${source} is a folder (give it without --clone)`);
      folder = path.resolve(source);
      mainBranch ??= 'main';
      await validateRepo(folder, id, mainBranch, false);
    }
    const twin = registry.brands.flatMap((b) => b.repos.map((r) => ({ b, r }))).find(({ r }) => repoPath(paths.home, r) === folder);
    if (twin) throw new UserError(`${folder} is already repo "${twin.r.id}" of brand "${twin.b.id}"; one folder is one repo (worktrees and branches would collide)`);
    const checks = { ...(options.test ? { test: options.test } : {}), ...(options.lint ? { lint: options.lint } : {}), ...(options.typecheck ? { typecheck: options.typecheck } : {}) };
    const repo = { id, path: registryPath(paths.home, folder), mainBranch, ...(Object.keys(checks).length ? { checks } : {}) };
    updateRegistryFile(paths, (text, raw) => {
      const index = raw.brands.findIndex((b) => b.id === brand.id);
      if (index < 0) throw new UserError(`brand "${brand.id}" is no longer in the registry (removed meanwhile?)`);
      const next = Array.isArray(raw.brands[index]!.repos) ? appendToArray(text, ['brands', index, 'repos'], repo) : addProperty(text, ['brands', index], 'repos', [repo]);
      return { text: next, result: undefined };
    });
    out(`repo ${id} added to ${brand.id}: ${repo.path} (main branch "${mainBranch}")`);
    if (!Object.keys(checks).length) out(`  no checks yet: the gate runs none; add "checks" to it in registry.json, or add it again with --test CMD --lint CMD`);
  };
}

/** `master repo remove BRAND REPO [--force]`: the folder stays; refused while the repo has open tickets, unless --force cancels them. */
export function repoRemoveCommand(home: Home) {
  return async (brandId: string, id: string, options: { force?: boolean }): Promise<void> => {
    const paths = pathsOf(home);
    const registry: Registry = loadRegistryFile(paths.registry);
    const repo = findRepo(findBrand(registry, brandId), id);
    const cancelled = await settleOpenTickets(home, `repo ${id}`, (t) => t.brand === brandId && t.repo === id, options.force ?? false);
    updateRegistryFile(paths, (text, raw) => {
      const b = raw.brands.findIndex((x) => x.id === brandId);
      const r = b < 0 ? -1 : (raw.brands[b]!.repos ?? []).findIndex((x) => x.id === id);
      if (r < 0) throw new UserError(`repo "${id}" is no longer in brand "${brandId}" (removed meanwhile?)`);
      return { text: removeArrayItem(text, ['brands', b, 'repos', r]), result: undefined };
    });
    if (cancelled.length) out(`cancelled ${cancelled.length} open ticket${cancelled.length === 1 ? '' : 's'} of ${id}: ${cancelled.join(', ')}`);
    out(`repo ${id} removed from ${brandId} (its folder ${repoPath(paths.home, repo)} is left as it is)`);
  };
}
