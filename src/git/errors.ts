/** Why a repo could not be read: the registry path is wrong, or the checkout is not what the registry says. */
export type RepoErrorKind = 'missing' | 'not-a-repo' | 'no-main-branch' | 'git';

/**
 * A repo of the registry that cannot be used as it is. Callers report it for
 * that repo and carry on with the others; the message says what to fix.
 */
export class RepoError extends Error {
  constructor(
    readonly repo: string,
    readonly path: string,
    readonly kind: RepoErrorKind,
    message: string,
  ) {
    super(`${repo}: ${message}`);
    this.name = 'RepoError';
  }

  /** The plain data of the error, for results kept in state. */
  toJSON(): { repo: string; path: string; kind: RepoErrorKind; message: string } {
    return { repo: this.repo, path: this.path, kind: this.kind, message: this.message };
  }
}

export function missingRepo(repo: string, repoPath: string): RepoError {
  return new RepoError(repo, repoPath, 'missing', `${repoPath} does not exist; clone the repo there, or fix its "path" in registry.json`);
}

export function notARepo(repo: string, repoPath: string): RepoError {
  return new RepoError(repo, repoPath, 'not-a-repo', `${repoPath} is not a git repository (no .git in it); run \`git init\` there, or fix its "path" in registry.json`);
}

export function noMainBranch(repo: string, repoPath: string, branch: string): RepoError {
  return new RepoError(
    repo,
    repoPath,
    'no-main-branch',
    `${repoPath} has no branch "${branch}"; create it (e.g. \`git -C ${repoPath} branch ${branch}\`), or set the repo's "mainBranch" in registry.json`,
  );
}
