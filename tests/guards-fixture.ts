import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ToolContext } from '../src/guards/types.js';
import { loadRegistryFile } from '../src/registry/load.js';
import type { Registry } from '../src/registry/schema.js';
import { installHooks, writeRegistry } from '../src/workspace/init.js';
import { workspacePaths, type WorkspacePaths } from '../src/workspace/paths.js';

/**
 * A real workspace for the guard suites: brand `acme` (repo `web`) and the
 * silo brand `blockwise` (repo `ledger`, holding a secret), both real git
 * repos on `main`, a ticket worktree for each, the shipped hooks installed,
 * and in acme's worktree a symlink `link` pointing into the silo.
 */
export interface GuardFixture {
  home: string;
  paths: WorkspacePaths;
  registry: Registry;
  web: string;
  ledger: string;
  webWorktree: string;
  ledgerWorktree: string;
  secret: string;
  context(overrides?: Partial<ToolContext>): ToolContext;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });
}

function repo(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  git(dir, 'add', '.');
  git(dir, 'commit', '-qm', 'init');
}

export function makeGuardFixture(): GuardFixture {
  const home = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'master-guards-')));
  const paths = workspacePaths(home);
  mkdirSync(paths.events, { recursive: true });
  installHooks(paths);
  writeRegistry(paths, {
    brands: [
      { id: 'acme', name: 'Acme', repos: [{ id: 'web', path: 'repos/web' }] },
      { id: 'blockwise', name: 'Blockwise Intelligence', silo: true, repos: [{ id: 'ledger', path: 'repos/ledger' }] },
    ],
  });
  const secret = `BLOCKWISE-SECRET-${Math.random().toString(36).slice(2)}`;
  const web = path.join(home, 'repos/web');
  const ledger = path.join(home, 'repos/ledger');
  repo(web, { 'index.ts': 'export const a = 1;\n' });
  repo(ledger, { 'secret.txt': `${secret}\n` });
  const webWorktree = path.join(paths.worktrees, 'web', 'T-1');
  const ledgerWorktree = path.join(paths.worktrees, 'ledger', 'T-2');
  git(web, 'worktree', 'add', '-q', '-b', 'master/T-1', webWorktree, 'main');
  git(ledger, 'worktree', 'add', '-q', '-b', 'master/T-2', ledgerWorktree, 'main');
  symlinkSync(ledger, path.join(webWorktree, 'link'));
  const registry = loadRegistryFile(paths.registry);
  return {
    home,
    paths,
    registry,
    web,
    ledger,
    webWorktree,
    ledgerWorktree,
    secret,
    context: (overrides = {}) => ({
      paths,
      registry,
      root: webWorktree,
      cwd: webWorktree,
      brand: 'acme',
      repo: 'web',
      agent: 'executor',
      sessionId: 'test-session',
      ...overrides,
    }),
  };
}

export { git };
