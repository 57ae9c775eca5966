import { lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { realPath } from '../sandbox/policy.js';
import type { GitRepo } from './repo.js';
import { gitTargetFor, runGit } from './safe.js';

/** An attribute that names a driver (a program from config): `filter=x`, `diff=x`, `merge=x`. */
const DRIVER = /(^|\s)(filter|diff|merge)=\S/m;

/**
 * What the gate checks before it checks anything out or runs anything for a
 * ticket: the ticket's worktree still points at the git folder master made
 * for it, and the branch adds or changes no `.gitattributes` that names a
 * filter, diff or merge driver, no `.gitmodules` (each a way to make a
 * later git command run a program or fetch from elsewhere) and nothing under
 * `.claude/` (Claude Code settings that could switch its hooks off). Blobs are read
 * with `cat-file`, which runs no driver. Returns the reasons (empty: clean).
 */
export async function inspectCandidate(repo: GitRepo, mainSha: string, branchSha: string, worktree: string | null): Promise<string[]> {
  const reasons: string[] = [];
  if (worktree) {
    const problem = dotGitProblem(worktree);
    if (problem) reasons.push(problem);
  }
  const base = await runGit(repo.path, ['merge-base', mainSha, branchSha]);
  if (base.code !== 0) return reasons;
  const changed = await runGit(repo.path, ['diff', '--no-ext-diff', '--no-textconv', '--no-renames', '--name-only', '--diff-filter=d', '-z', base.stdout.trim(), branchSha]);
  for (const file of changed.stdout.split('\0').filter(Boolean)) {
    const name = path.posix.basename(file);
    // Claude Code reads `.claude/settings*.json` of a checkout: merged, an agent's settings would switch hooks off for the operator.
    if (file.split('/').includes('.claude')) reasons.push(`${file}: the branch changes Claude Code settings (.claude/), which the gate does not accept from an agent`);
    if (name === '.gitmodules') reasons.push(`${file}: the branch adds or changes submodules, which the gate does not accept from an agent`);
    if (name !== '.gitattributes') continue;
    const blob = await runGit(repo.path, ['cat-file', 'blob', `${branchSha}:${file}`]);
    const line = blob.stdout.split('\n').find((l) => !l.trim().startsWith('#') && DRIVER.test(l));
    if (line) reasons.push(`${file}: "${line.trim()}" names a filter/diff/merge driver, a program git would run; the gate does not accept drivers from an agent`);
  }
  return reasons;
}

/** Why a ticket worktree's `.git` is not the file git wrote for it (rewritten, replaced, a link), or null. */
function dotGitProblem(worktree: string): string | null {
  const target = gitTargetFor(worktree);
  if (!target?.workTree) return null;
  const dotGit = path.join(worktree, '.git');
  try {
    const info = lstatSync(dotGit);
    if (!info.isFile()) return `${dotGit} is no longer the file git wrote (now a ${info.isDirectory() ? 'folder' : 'link'}): something in the worktree replaced it`;
    const match = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
    const named = match ? realPath(path.resolve(worktree, match[1]!)) : null;
    if (named !== (realPath(target.gitDir) ?? target.gitDir)) {
      return `${dotGit} was rewritten to name another git folder (${match?.[1] ?? 'none'}); master's worktree record says ${target.gitDir}`;
    }
  } catch {
    return `${dotGit} is missing: something in the worktree removed it`;
  }
  return null;
}
