/** The git layer of the loop: real git through simple-git, plus ref reads that spawn nothing. */
export { RepoError, type RepoErrorKind } from './errors.js';
export { gitIdentityArgs, gitIdentityConfig, gitIdentityEnv, type GitAuthor } from './identity.js';
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
