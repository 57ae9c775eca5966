import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { RepoError, noMainBranch, notARepo } from './errors.js';
import { gitIdentityArgs, gitIdentityEnv, type GitAuthor } from './identity.js';
import { gitDirs, headsCheap } from './refs.js';
import { runGit, trustRepo } from './safe.js';

/** One commit as the loop reports it. */
export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
  email: string;
  /** Author time, ISO 8601 with the author's offset. */
  time: string;
  filesChanged: number;
  insertions: number;
  deletions: number;
  files: string[];
}

/** A changed or untracked path of a checkout; `status` is git's two-letter porcelain code (` M`, `??`, ...). */
export interface DirtyFile {
  path: string;
  status: string;
}

export interface Worktree {
  path: string;
  head: string | null;
  /** Short branch name (`master/T-3`), or null when detached. */
  branch: string | null;
  bare: boolean;
  locked: boolean;
  /** Its folder is gone; `worktreePrune` forgets it. */
  prunable: boolean;
}

export interface AheadBehind {
  ahead: number;
  behind: number;
}

export interface BranchRef {
  name: string;
  sha: string;
}

export interface OpenOptions {
  /** The repo's id in the registry, used in error messages (default: the path). */
  id?: string;
  mainBranch?: string;
}

const FIELD = '\x1f';
const RECORD = '\x1e';
const DEFAULT_MAIN = 'main';

/**
 * A checked-out repository of the registry (or a linked worktree of one):
 * the git operations the loop needs. Every command goes through `runGit`
 * (src/git/safe.ts): the git folder from master's records, no program-running settings.
 */
export class GitRepo {
  private constructor(
    readonly id: string,
    readonly path: string,
    readonly mainBranch: string,
  ) {}

  /**
   * Opens a repo after checking, from files alone, that it exists, is a repo
   * and has its main branch. A registry checkout becomes trusted; a linked
   * worktree is found by git's record of it in its (trusted) repo, whatever
   * its `.git` file says now.
   */
  static async open(repoPath: string, options: OpenOptions = {}): Promise<GitRepo> {
    const root = path.resolve(repoPath);
    const id = options.id ?? root;
    const mainBranch = options.mainBranch ?? DEFAULT_MAIN;
    const target = trustRepo(root);
    if (target?.workTree && path.basename(path.dirname(target.gitDir)) === 'worktrees') return new GitRepo(id, root, mainBranch);
    await headsCheap(root, mainBranch, id);
    if (!target) throw notARepo(id, root);
    return new GitRepo(id, root, mainBranch);
  }

  /** Creates an empty repository whose first branch is `mainBranch` (nothing committed yet). */
  static async init(repoPath: string, options: OpenOptions = {}): Promise<GitRepo> {
    const root = path.resolve(repoPath);
    const mainBranch = options.mainBranch ?? DEFAULT_MAIN;
    await mkdir(root, { recursive: true });
    const repo = new GitRepo(options.id ?? root, root, mainBranch);
    await repo.run(['init', '--quiet']);
    trustRepo(root);
    // `symbolic-ref` rather than `init -b`: works on every git and whatever init.defaultBranch says.
    await repo.run(['symbolic-ref', 'HEAD', `refs/heads/${mainBranch}`]);
    return repo;
  }

  /** Runs a git command in the repo; a failure becomes a RepoError naming the repo and the command. */
  async run(args: string[], env: Record<string, string> = {}): Promise<string> {
    const outcome = await runGit(this.path, args, env);
    if (outcome.code !== 0) {
      throw new RepoError(this.id, this.path, 'git', `\`git ${args.join(' ')}\` failed: ${(outcome.stderr || outcome.stdout || `exit ${outcome.code}`).trim()}`);
    }
    return outcome.stdout;
  }

  /** The sha a branch points at (default: the main branch). */
  async head(branch = this.mainBranch): Promise<string> {
    try {
      const sha = (await this.run(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`])).trim();
      if (!sha) throw new Error('no sha');
      return sha;
    } catch {
      if (branch === this.mainBranch) throw noMainBranch(this.id, this.path, branch);
      throw new RepoError(this.id, this.path, 'git', `no branch "${branch}" in ${this.path}`);
    }
  }

  /** Whether `sha` names a commit this repo has. */
  async hasCommit(sha: string): Promise<boolean> {
    try {
      await this.run(['cat-file', '-e', `${sha}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  /** Whether `ancestor` is reachable from `descendant`. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return (await runGit(this.path, ['merge-base', '--is-ancestor', ancestor, descendant])).code === 0;
  }

  /**
   * Commits on `branch` that `since` does not have, newest first, at most
   * `limit`; with no `since` (or one this repo no longer has), the last `limit` commits.
   */
  async commitsSince(since: string | null, options: { branch?: string; limit?: number } = {}): Promise<CommitInfo[]> {
    const branch = options.branch ?? this.mainBranch;
    const limit = options.limit ?? 50;
    const range = since && (await this.hasCommit(since)) ? `${since}..refs/heads/${branch}` : `refs/heads/${branch}`;
    const output = await this.run([
      'log',
      `--max-count=${limit}`,
      `--format=${RECORD}%H${FIELD}%an${FIELD}%ae${FIELD}%aI${FIELD}%s`,
      '--numstat',
      '--no-renames',
      '--no-ext-diff',
      '--no-textconv',
      range,
      '--',
    ]);
    return parseLog(output);
  }

  /** Changed, staged and untracked files of the checkout. */
  async dirtyFiles(): Promise<DirtyFile[]> {
    const output = await this.run(['status', '--porcelain=v1', '-z', '--untracked-files=all']);
    const entries = output.split('\0');
    const files: DirtyFile[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.length < 4) continue;
      const status = entry.slice(0, 2);
      files.push({ path: entry.slice(3), status });
      // A rename or copy is followed by its source path.
      if (status[0] === 'R' || status[0] === 'C') i++;
    }
    return files;
  }

  /** Adds a worktree at `worktreePath` on `branch`, creating the branch from `base` (default: main) when asked. */
  async worktreeAdd(worktreePath: string, branch: string, options: { create?: boolean; base?: string } = {}): Promise<Worktree> {
    const target = path.resolve(worktreePath);
    await mkdir(path.dirname(target), { recursive: true });
    const args = options.create ? ['worktree', 'add', '--quiet', '-b', branch, target, options.base ?? `refs/heads/${this.mainBranch}`] : ['worktree', 'add', '--quiet', target, branch];
    await this.run(args);
    const added = (await this.worktreeList()).find((w) => samePath(w.path, target));
    return added ?? { path: target, head: null, branch, bare: false, locked: false, prunable: false };
  }

  /** Every worktree of the repo, the primary checkout first. */
  async worktreeList(): Promise<Worktree[]> {
    return parseWorktreeList(await this.run(['worktree', 'list', '--porcelain']));
  }

  /** Removes a worktree (its folder and git's record of it); `force` drops uncommitted changes. */
  async worktreeRemove(worktreePath: string, options: { force?: boolean } = {}): Promise<void> {
    await this.run(['worktree', 'remove', ...(options.force ? ['--force'] : []), path.resolve(worktreePath)]);
  }

  /** Forgets worktrees whose folders are gone. */
  async worktreePrune(): Promise<void> {
    await this.run(['worktree', 'prune']);
  }

  /** Creates a branch at `startPoint` (default: main). */
  async branchCreate(name: string, startPoint = `refs/heads/${this.mainBranch}`): Promise<void> {
    await this.run(['branch', '--quiet', name, startPoint]);
  }

  /** Deletes a branch; without `force` git refuses to drop unmerged work. */
  async branchDelete(name: string, options: { force?: boolean } = {}): Promise<void> {
    await this.run(['branch', '--quiet', options.force ? '-D' : '-d', name]);
  }

  /** Local branches under `prefix` (e.g. `master/`), with their shas. */
  async branchList(prefix = ''): Promise<BranchRef[]> {
    const output = await this.run(['for-each-ref', '--format=%(objectname) %(refname)', `refs/heads/${prefix}`]);
    return output
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const space = line.indexOf(' ');
        return { sha: line.slice(0, space), name: line.slice(space + 1).replace(/^refs\/heads\//, '') };
      });
  }

  /** How many commits `branch` has that `base` lacks (ahead) and the reverse (behind). */
  async aheadBehind(branch: string, base = this.mainBranch): Promise<AheadBehind> {
    const output = await this.run(['rev-list', '--left-right', '--count', `refs/heads/${base}...refs/heads/${branch}`]);
    const [behind, ahead] = output.trim().split(/\s+/).map(Number);
    return { ahead: ahead ?? 0, behind: behind ?? 0 };
  }

  /**
   * Stages everything and commits as `author` (never the machine's git
   * identity); `date` backdates author and committer time. Returns the new sha.
   */
  async commitAll(message: string, author: GitAuthor, options: { date?: Date; cwd?: string } = {}): Promise<string> {
    const dates: Record<string, string> = options.date ? { GIT_AUTHOR_DATE: options.date.toISOString(), GIT_COMMITTER_DATE: options.date.toISOString() } : {};
    const where = options.cwd ?? this.path;
    const run = async (args: string[]) => {
      const outcome = await runGit(where, [...gitIdentityArgs(author), ...args], { ...gitIdentityEnv(author), ...dates });
      if (outcome.code !== 0) throw new RepoError(this.id, this.path, 'git', `commit "${message}" failed: ${(outcome.stderr || outcome.stdout).trim()}`);
      return outcome.stdout;
    };
    await run(['add', '--all']);
    await run(['commit', '--quiet', '--no-verify', '-m', message]);
    return (await run(['rev-parse', 'HEAD'])).trim();
  }

  /** The git dirs of this checkout (no git process). */
  dirs(): ReturnType<typeof gitDirs> {
    return gitDirs(this.path, this.id);
  }
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

/** Parses `git log --numstat` written with RECORD/FIELD separators. */
export function parseLog(output: string): CommitInfo[] {
  const commits: CommitInfo[] = [];
  for (const record of output.split(RECORD)) {
    if (!record.trim()) continue;
    const [header = '', ...rest] = record.split('\n');
    const [sha = '', author = '', email = '', time = '', subject = ''] = header.split(FIELD);
    const commit: CommitInfo = { sha, subject, author, email, time, filesChanged: 0, insertions: 0, deletions: 0, files: [] };
    for (const line of rest) {
      const match = /^(\d+|-)\t(\d+|-)\t(.*)$/.exec(line);
      if (!match) continue;
      commit.filesChanged++;
      if (match[1] !== '-') commit.insertions += Number(match[1]);
      if (match[2] !== '-') commit.deletions += Number(match[2]);
      commit.files.push(match[3]!);
    }
    commits.push(commit);
  }
  return commits;
}

/** Parses `git worktree list --porcelain`, the primary checkout first. */
export function parseWorktreeList(output: string): Worktree[] {
  const list: Worktree[] = [];
  let current: Worktree | null = null;
  for (const line of output.split('\n')) {
    if (line.startsWith('worktree ')) {
      current = { path: line.slice(9), head: null, branch: null, bare: false, locked: false, prunable: false };
      list.push(current);
    } else if (!current) continue;
    else if (line.startsWith('HEAD ')) current.head = line.slice(5);
    else if (line.startsWith('branch ')) current.branch = line.slice(7).replace(/^refs\/heads\//, '');
    else if (line === 'bare') current.bare = true;
    else if (line === 'locked' || line.startsWith('locked ')) current.locked = true;
    else if (line === 'prunable' || line.startsWith('prunable ')) current.prunable = true;
  }
  return list;
}
