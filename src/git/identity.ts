/** The identity the system commits as: the registry's `git.author`. */
export interface GitAuthor {
  name: string;
  email: string;
}

/**
 * Environment variables that make git commit as `author` even on a machine
 * with no git identity configured (they win over any user config).
 */
export function gitIdentityEnv(author: GitAuthor): Record<string, string> {
  return {
    GIT_AUTHOR_NAME: author.name,
    GIT_AUTHOR_EMAIL: author.email,
    GIT_COMMITTER_NAME: author.name,
    GIT_COMMITTER_EMAIL: author.email,
  };
}

/** `-c user.name=.. -c user.email=..` for a git command line, the same identity as `gitIdentityEnv`. */
export function gitIdentityArgs(author: GitAuthor): string[] {
  return ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`];
}
