import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitRepo, RepoError, gitIdentityEnv, headsCheap } from '../src/git/index.js';
import { tempDir } from './helpers/cli.js';
import { git, makeRepo } from './helpers/workspace.js';

function commitFile(dir: string, name: string, content: string, message: string): string {
  writeFileSync(path.join(dir, name), content);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

describe('headsCheap', () => {
  it('agrees with git rev-parse for loose refs, packed refs and worktree checkouts', async () => {
    const dir = makeRepo(path.join(tempDir(), 'repo'));
    commitFile(dir, 'a.txt', 'a\n', 'add a');
    git(dir, 'branch', 'master/T-1');
    expect(await headsCheap(dir, 'main')).toBe(git(dir, 'rev-parse', 'main'));

    git(dir, 'pack-refs', '--all');
    expect(await headsCheap(dir, 'main')).toBe(git(dir, 'rev-parse', 'main'));
    expect(await headsCheap(dir, 'master/T-1')).toBe(git(dir, 'rev-parse', 'master/T-1'));

    // A new commit after packing writes a loose ref that must win over the stale packed one.
    const newer = commitFile(dir, 'b.txt', 'b\n', 'add b');
    expect(await headsCheap(dir, 'main')).toBe(newer);

    const worktree = path.join(tempDir(), 'wt');
    git(dir, 'worktree', 'add', '-q', worktree, 'master/T-1');
    const inWorktree = commitFile(worktree, 'c.txt', 'c\n', 'work in the worktree');
    expect(await headsCheap(worktree, 'master/T-1')).toBe(inWorktree);
    expect(await headsCheap(worktree, 'main')).toBe(newer);
    expect(await headsCheap(dir, 'master/T-1')).toBe(git(dir, 'rev-parse', 'master/T-1'));
  });

  it('names the repo and what to fix when the path is missing, not a repo, or lacks the branch', async () => {
    const base = tempDir();
    await expect(headsCheap(path.join(base, 'gone'), 'main', 'shop')).rejects.toMatchObject({
      name: 'RepoError',
      repo: 'shop',
      kind: 'missing',
    });
    mkdirSync(path.join(base, 'plain'));
    const notRepo = headsCheap(path.join(base, 'plain'), 'main', 'plain');
    await expect(notRepo).rejects.toBeInstanceOf(RepoError);
    await expect(notRepo).rejects.toMatchObject({ kind: 'not-a-repo', message: expect.stringContaining('git init') });
    const dir = makeRepo(path.join(base, 'repo'));
    await expect(headsCheap(dir, 'trunk', 'repo')).rejects.toMatchObject({
      kind: 'no-main-branch',
      message: expect.stringContaining('"trunk"'),
    });
  });
});

describe('GitRepo', () => {
  it('lists commits since a sha with author, time and diff stats', async () => {
    const dir = makeRepo(path.join(tempDir(), 'repo'));
    const repo = await GitRepo.open(dir, { id: 'repo' });
    const before = await repo.head();
    writeFileSync(path.join(dir, 'one.txt'), 'one\ntwo\nthree\n');
    writeFileSync(path.join(dir, 'README.md'), '# changed\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'Add one and rewrite the readme');
    commitFile(dir, 'two.txt', 'x\n', 'Add two');

    const commits = await repo.commitsSince(before);
    expect(commits.map((c) => c.subject)).toEqual(['Add two', 'Add one and rewrite the readme']);
    expect(commits[1]).toMatchObject({ author: 'Test Author', filesChanged: 2, insertions: 4, deletions: 1 });
    expect(commits[1]!.files.sort()).toEqual(['README.md', 'one.txt']);
    expect(Number.isNaN(Date.parse(commits[0]!.time))).toBe(false);
    expect(await repo.commitsSince(await repo.head())).toEqual([]);
    // Unknown base (e.g. garbage-collected after a rewrite): the last commits instead.
    expect((await repo.commitsSince('0'.repeat(40), { limit: 2 })).length).toBe(2);
  });

  it('reports dirty files, branches, worktrees and ahead/behind', async () => {
    const dir = makeRepo(path.join(tempDir(), 'repo'));
    const repo = await GitRepo.open(dir, { id: 'repo' });
    expect(await repo.dirtyFiles()).toEqual([]);
    writeFileSync(path.join(dir, 'README.md'), '# edited\n');
    mkdirSync(path.join(dir, 'new'));
    writeFileSync(path.join(dir, 'new', 'file.txt'), 'x\n');
    expect(await repo.dirtyFiles()).toEqual([
      { path: 'README.md', status: ' M' },
      { path: 'new/file.txt', status: '??' },
    ]);
    git(dir, 'checkout', '-q', '--', 'README.md');
    rmSync(path.join(dir, 'new'), { recursive: true });

    const worktreePath = path.join(tempDir(), 'wt', 'T-1');
    const added = await repo.worktreeAdd(worktreePath, 'master/T-1', { create: true });
    expect(added.branch).toBe('master/T-1');
    commitFile(worktreePath, 'feature.txt', 'f\n', 'feature');
    commitFile(dir, 'main.txt', 'm\n', 'main moves on');
    expect(await repo.aheadBehind('master/T-1')).toEqual({ ahead: 1, behind: 1 });
    expect((await repo.branchList('master/')).map((b) => b.name)).toEqual(['master/T-1']);

    const list = await repo.worktreeList();
    expect(list).toHaveLength(2);
    expect(list[1]).toMatchObject({ branch: 'master/T-1', prunable: false });

    rmSync(worktreePath, { recursive: true, force: true });
    expect((await repo.worktreeList())[1]!.prunable).toBe(true);
    await repo.worktreePrune();
    expect(await repo.worktreeList()).toHaveLength(1);

    await expect(repo.branchDelete('master/T-1')).rejects.toBeInstanceOf(RepoError);
    await repo.branchDelete('master/T-1', { force: true });
    await repo.branchCreate('master/T-2');
    expect(await repo.aheadBehind('master/T-2')).toEqual({ ahead: 0, behind: 0 });
    const second = await repo.worktreeAdd(path.join(tempDir(), 'wt2'), 'master/T-2');
    await repo.worktreeRemove(second.path);
    expect(await repo.worktreeList()).toHaveLength(1);
  });

  it('commits as the given author on a machine with no git identity', async () => {
    const home = tempDir('no-identity-home-');
    const saved = { HOME: process.env.HOME, XDG_CONFIG_HOME: process.env.XDG_CONFIG_HOME };
    process.env.HOME = home;
    process.env.XDG_CONFIG_HOME = home;
    for (const key of Object.keys(gitIdentityEnv({ name: '', email: '' }))) delete process.env[key];
    try {
      const dir = path.join(tempDir(), 'fresh');
      const repo = await GitRepo.init(dir, { id: 'fresh' });
      writeFileSync(path.join(dir, 'a.txt'), 'a\n');
      const author = { name: 'Demo Bot', email: 'demo@example.invalid' };
      const sha = await repo.commitAll('first', author, { date: new Date('2024-05-01T10:00:00Z') });
      expect(await headsCheap(dir, 'main')).toBe(sha);
      const [commit] = await repo.commitsSince(null);
      expect(commit).toMatchObject({ subject: 'first', author: 'Demo Bot', email: 'demo@example.invalid' });
      expect(Date.parse(commit!.time)).toBe(Date.parse('2024-05-01T10:00:00Z'));
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('open() refuses a repo without its main branch, naming the repo', async () => {
    const dir = makeRepo(path.join(tempDir(), 'repo'));
    await expect(GitRepo.open(dir, { id: 'shop', mainBranch: 'trunk' })).rejects.toMatchObject({
      repo: 'shop',
      kind: 'no-main-branch',
    });
  });
});
