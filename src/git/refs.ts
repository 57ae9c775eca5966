import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { missingRepo, noMainBranch, notARepo } from './errors.js';
import { runGit, trustRepo } from './safe.js';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Where a checkout keeps its git data: its own dir, and the dir shared by all its worktrees. */
export interface GitDirs {
  gitDir: string;
  commonDir: string;
}

async function kindOf(file: string): Promise<'file' | 'dir' | null> {
  try {
    const info = await stat(file);
    return info.isDirectory() ? 'dir' : 'file';
  } catch {
    return null;
  }
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return null;
  }
}

/** Finds the git dirs of a checkout by reading files only: `.git` dir, a worktree's `.git` file, or a bare repo. */
export async function gitDirs(repoPath: string, repoId = repoPath): Promise<GitDirs> {
  const root = await kindOf(repoPath);
  if (root !== 'dir') throw missingRepo(repoId, repoPath);
  const dotGit = path.join(repoPath, '.git');
  let gitDir: string;
  const dotGitKind = await kindOf(dotGit);
  if (dotGitKind === 'dir') {
    gitDir = dotGit;
  } else if (dotGitKind === 'file') {
    const text = (await readText(dotGit)) ?? '';
    const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
    if (!match) throw notARepo(repoId, repoPath);
    gitDir = path.resolve(repoPath, match[1]!);
  } else if ((await kindOf(path.join(repoPath, 'HEAD'))) === 'file' && (await kindOf(path.join(repoPath, 'refs'))) === 'dir') {
    gitDir = repoPath; // a bare repository
  } else {
    throw notARepo(repoId, repoPath);
  }
  const common = await readText(path.join(gitDir, 'commondir'));
  const commonDir = common ? path.resolve(gitDir, common.trim()) : gitDir;
  if ((await kindOf(commonDir)) !== 'dir') throw notARepo(repoId, repoPath);
  return { gitDir, commonDir };
}

async function packedRef(commonDir: string, ref: string): Promise<string | null> {
  const text = await readText(path.join(commonDir, 'packed-refs'));
  if (!text) return null;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1).trimEnd() === ref) return line.slice(0, space);
  }
  return null;
}

async function readRef(commonDir: string, ref: string, depth = 0): Promise<string | null> {
  if (depth > 5) return null;
  const loose = await readText(path.join(commonDir, ref));
  if (loose !== null) {
    const value = loose.trim();
    if (value.startsWith('ref:')) return readRef(commonDir, value.slice(4).trim(), depth + 1);
    if (SHA.test(value)) return value;
  }
  const packed = await packedRef(commonDir, ref);
  return packed && SHA.test(packed) ? packed : null;
}

/**
 * The sha a branch points at, read from the ref files without spawning git
 * (a loose ref, else `packed-refs`; worktree checkouts are followed to their
 * common dir). Only a reftable repository costs one git process.
 * Throws RepoError when the path is missing, not a repo, or lacks the branch.
 */
export async function headsCheap(repoPath: string, branch: string, repoId = repoPath): Promise<string> {
  const { commonDir } = await gitDirs(repoPath, repoId);
  const ref = `refs/heads/${branch}`;
  if ((await kindOf(path.join(commonDir, 'reftable'))) === 'dir') {
    trustRepo(repoPath);
    const outcome = await runGit(repoPath, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
    if (outcome.code !== 0) throw noMainBranch(repoId, repoPath, branch);
    return outcome.stdout.trim();
  }
  const sha = await readRef(commonDir, ref);
  if (!sha) throw noMainBranch(repoId, repoPath, branch);
  return sha;
}
