import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RegistryInput } from '../../src/registry/schema.js';
import { initWorkspace, writeRegistry } from '../../src/workspace/init.js';
import { workspacePaths } from '../../src/workspace/paths.js';
import { tempDir } from './cli.js';

export const IDENTITY_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.invalid',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.invalid',
};

/** Runs git with a fixed identity, so fixtures work on a machine with none configured. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...IDENTITY_ENV }, encoding: 'utf8' }).trim();
}

/** A real repository with one commit on `main`. */
export function makeRepo(dir: string, files: Record<string, string> = { 'README.md': '# repo\n' }): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial commit');
  return dir;
}

/** A workspace in a temp folder with the given brands (repo folders are not created). */
export function makeWorkspace(registry: Partial<RegistryInput> = {}): string {
  const home = tempDir('master-ws-');
  initWorkspace(home);
  writeRegistry(workspacePaths(home), { brands: [], ...registry } as RegistryInput);
  return home;
}

/**
 * A workspace whose repos' folders exist but are not git repos: enough for
 * the store and the ticket commands (which refuse a repo whose folder is
 * missing), without the cost of a real repo per test.
 */
export function makeWorkspaceWithFolders(registry: Partial<RegistryInput> = {}): string {
  const home = makeWorkspace(registry);
  makeRepoFolders(home, registry);
  return home;
}

/** Creates every repo folder the registry names, empty. */
export function makeRepoFolders(home: string, registry: Partial<RegistryInput>): void {
  for (const brand of registry.brands ?? []) for (const repo of brand.repos ?? []) mkdirSync(path.resolve(home, repo.path), { recursive: true });
}

/** A workspace with two brands of one repo each (real git repos inside it). */
export function makeSimpleWorkspace(registry: Partial<RegistryInput> = {}): string {
  const home = makeWorkspace({
    ...registry,
    brands: [
      { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
      { id: 'beta', name: 'Beta', repos: [{ id: 'beta-app', path: 'repos/beta-app' }] },
    ],
  });
  makeRepo(path.join(home, 'repos/alpha-app'));
  makeRepo(path.join(home, 'repos/beta-app'));
  return home;
}
