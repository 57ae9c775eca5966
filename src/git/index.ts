/** The git layer of the loop: real git with master's own safe settings (safe.ts), plus ref reads that spawn nothing. */
export { RepoError, type RepoErrorKind } from './errors.js';
export { gitIdentityArgs, gitIdentityEnv, type GitAuthor } from './identity.js';
export { gitDirs, headsCheap, type GitDirs } from './refs.js';
export {
  GitRepo,
  parseLog,
  type AheadBehind,
  type BranchRef,
  type CommitInfo,
  type DirtyFile,
  type OpenOptions,
  type Worktree,
} from './repo.js';
export { gitTargetFor, runGit, safeGitArgs, safeGitEnv, trustRepo, SAFE_GIT_CONFIG, type GitTarget } from './safe.js';
