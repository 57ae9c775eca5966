import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnBash } from '../src/agents/tools/spawnBash.js';
import type { ToolContext } from '../src/guards/types.js';
import { parseRegistry } from '../src/registry/load.js';
import { buildPolicy, bwrapArgs, orderedMounts, sandboxStatus, seatbeltProfile, type SandboxPolicy } from '../src/sandbox/index.js';
import type { Ticket } from '../src/state/types.js';
import { makeAgentWorkspace } from './helpers/agents.js';
import { git } from './helpers/workspace.js';

/** The sandbox policy as data (both backends), the registry setting, and the policy enforced by bubblewrap. */

const sample: SandboxPolicy = {
  writable: ['/w/.master/worktrees/app/T-1', '/w/.master/tmp/T-1', '/w/repos/app/.git/objects'],
  readOnly: ['/w/.master', '/w/registry.json', '/w/repos/app/.git', '/w/.master/worktrees/app/T-1/.git', '/w/repos/silo/.git'],
  hidden: ['/w/repos/silo'],
  env: {},
  cwd: '/w/.master/worktrees/app/T-1',
  tempDir: '/w/.master/tmp/T-1',
  homeDir: '/w/.master/tmp/T-1/home',
  notes: [],
};

describe('the policy as data', () => {
  it('orders entries outermost first so the innermost decides, hidden last with nothing inside them', () => {
    expect(orderedMounts(sample).map((m) => `${m.kind} ${m.path}`)).toEqual([
      'readOnly /w/.master',
      'readOnly /w/registry.json',
      'writable /w/.master/tmp/T-1',
      'readOnly /w/repos/app/.git',
      'writable /w/.master/worktrees/app/T-1',
      'writable /w/repos/app/.git/objects',
      'readOnly /w/.master/worktrees/app/T-1/.git',
      'hidden /w/repos/silo',
    ]);
  });

  it('is a sandbox-exec profile: writes denied but for the writable entries, read-only ones denied again, hidden ones unreadable', () => {
    const profile = seatbeltProfile(sample);
    const lines = profile.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(['(version 1)', '(allow default)', '(deny file-write*)']);
    const at = (line: string) => lines.indexOf(line);
    expect(at('(deny file-write* (subpath "/w/.master"))')).toBeLessThan(at('(allow file-write* (subpath "/w/.master/worktrees/app/T-1"))'));
    expect(at('(allow file-write* (subpath "/w/.master/worktrees/app/T-1"))')).toBeLessThan(at('(deny file-write* (subpath "/w/.master/worktrees/app/T-1/.git"))'));
    expect(lines.at(-1)).toBe('(deny file-read* file-write* (subpath "/w/repos/silo"))');
    expect(profile).not.toContain('/w/repos/silo/.git');
  });

  it('the registry accepts "on", "off" or {writable, hidden} and says what is wrong otherwise', () => {
    const base = { brands: [] };
    expect(parseRegistry(base, 'registry.json').sandbox).toBe('on');
    expect(parseRegistry({ ...base, sandbox: 'off' }, 'registry.json').sandbox).toBe('off');
    expect(parseRegistry({ ...base, sandbox: { writable: ['~/.npm'] } }, 'registry.json').sandbox).toEqual({ writable: ['~/.npm'], hidden: [] });
    expect(() => parseRegistry({ ...base, sandbox: 'maybe' }, 'registry.json')).toThrow(/sandbox/);
    expect(() => parseRegistry({ ...base, sandbox: { writable: ['/'] } }, 'registry.json')).toThrow(/sandbox/);
    expect(() => parseRegistry({ ...base, sandbox: { writable: ['relative/path'] } }, 'registry.json')).toThrow(/sandbox/);
  });
});

describe.skipIf(!sandboxStatus().available)('the policy enforced by bubblewrap', () => {
  it('gives a command its worktree, a private TMPDIR and HOME, and the registry caches; nothing else is writable', async () => {
    const { home, ws } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' } });
    const repo = path.join(home, 'repos/alpha-app');
    const worktree = path.join(ws.paths.worktrees, 'alpha-app', 'T-1');
    git(repo, 'worktree', 'add', '-q', '-b', 'master/T-1', worktree, 'main');
    const cache = realpathSync(path.join(os.tmpdir())) + `/master-cache-${Math.random().toString(36).slice(2)}`;
    const registry = { ...ws.registry, sandbox: { writable: [cache], hidden: [] } };
    const context: ToolContext = { paths: ws.paths, registry, root: worktree, cwd: worktree, brand: 'alpha', repo: 'alpha-app', ticket: { id: 'T-1' } as Ticket, agent: 'executor', sessionId: 'S-1' };
    const policy = buildPolicy(context);
    expect(bwrapArgs(policy, ['true']).slice(0, 3)).toEqual(['--ro-bind', '/', '/']);
    const run = async (command: string) => (await spawnBash(context, command, 30_000)).output.trim();

    expect(await run('echo ok > in-worktree.txt && cat in-worktree.txt')).toBe('ok');
    expect(await run('echo "$TMPDIR|$HOME"')).toBe(`${policy.tempDir}|${policy.homeDir}`);
    expect(await run('echo t > "$TMPDIR/t" && echo h > "$HOME/.h" && cat "$TMPDIR/t" "$HOME/.h"')).toBe('t\nh');
    expect(await run(`echo c > ${cache}/c && cat ${cache}/c`)).toBe('c');
    for (const target of [`${home}/registry.json`, `${home}/hooks/x.json`, `${home}/wiki/x.md`, `${home}/.master/x`, `${repo}/x`, `${os.tmpdir()}/master-x-${Date.now()}`, `${worktree}/.git`]) {
      expect(await run(`echo x >> ${target} 2>&1 || echo refused`), target).toContain('refused');
    }
    expect(existsSync(path.join(home, '.master/x'))).toBe(false);
    // A commit on its own ticket branch works; moving main does not.
    expect(await run('git add -A && git -c user.name=a -c user.email=a@b commit -qm work && git rev-parse --abbrev-ref HEAD')).toBe('master/T-1');
    const main = readFileSync(path.join(repo, '.git/refs/heads/main'), 'utf8');
    await run('git update-ref refs/heads/main HEAD');
    expect(readFileSync(path.join(repo, '.git/refs/heads/main'), 'utf8')).toBe(main);
    mkdirSync(cache, { recursive: true });
    writeFileSync(path.join(cache, 'done'), '');
  }, 60_000);
});
