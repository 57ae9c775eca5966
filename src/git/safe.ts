import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Every git command master itself runs goes through here, because agents
 * write the worktrees it runs in. Master picks the git folder from its own
 * records (the registry's repos and git's worktree records inside them),
 * never from a worktree's `.git` file, and passes it explicitly (GIT_DIR,
 * GIT_WORK_TREE); it reads no system or global config (an agent may have
 * written ~/.gitconfig where the sandbox is off), and switches off every
 * setting that makes git run a program: fsmonitor, hooks, ssh, pager,
 * editors, signing, credential helpers, global attributes (so no filter or
 * diff driver an agent defined there). Diffs add `--no-ext-diff
 * --no-textconv` themselves. Master never runs aliases.
 */

/** `-c` settings on every command master runs (the command line wins over every config file). */
export const SAFE_GIT_CONFIG = [
  'core.fsmonitor=false',
  `core.hooksPath=${process.platform === 'win32' ? 'NUL' : '/dev/null'}`,
  'core.sshCommand=false',
  'core.pager=cat',
  'core.editor=true',
  'sequence.editor=true',
  'core.attributesFile=/dev/null',
  'credential.helper=',
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'gpg.program=false',
  'protocol.ext.allow=never',
  'submodule.recurse=false',
  'core.untrackedCache=false',
];

/** Where a git command works: the git folder (a worktree's own, under the repo's `worktrees/`) and its files. */
export interface GitTarget {
  gitDir: string;
  workTree: string | null;
}

export interface GitOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Git folders of repos master opened from the registry (real paths): the only ones it trusts. */
const trusted = new Set<string>();

function real(target: string): string | null {
  try {
    return realpathSync.native(target);
  } catch {
    return null;
  }
}

function isDir(target: string): boolean {
  try {
    return statSync(target).isDirectory();
  } catch {
    return false;
  }
}

/** The linked worktree of a trusted repo at `dir`, by git's records in that repo's folder. */
function linkedTarget(dir: string): GitTarget | null {
  for (const common of trusted) {
    let names: string[];
    try {
      names = readdirSync(path.join(common, 'worktrees'));
    } catch {
      continue;
    }
    for (const name of names) {
      try {
        const dotGit = readFileSync(path.join(common, 'worktrees', name, 'gitdir'), 'utf8').trim();
        if ((real(path.dirname(dotGit)) ?? path.dirname(dotGit)) === dir) return { gitDir: path.join(common, 'worktrees', name), workTree: dir };
      } catch {
        // a half-made or pruned entry
      }
    }
  }
  return null;
}

/**
 * Where master's git works for `dir`: a linked worktree of a repo it opened
 * (git's record of it in that repo's folder), else a checkout with its own
 * `.git` folder (a repo of the registry; it becomes trusted), else a bare
 * repo it trusts. Null for a folder that is none of these — including a
 * worktree whose `.git` file names some other git folder.
 */
export function gitTargetFor(dir: string, options: { trust?: boolean } = {}): GitTarget | null {
  const root = real(dir);
  if (!root) return null;
  const linked = linkedTarget(root);
  if (linked) return linked;
  const dotGit = path.join(root, '.git');
  if (isDir(dotGit)) {
    const gitDir = real(dotGit)!;
    if (options.trust) trusted.add(gitDir);
    if (trusted.has(gitDir) || options.trust) return { gitDir, workTree: root };
    return null;
  }
  if (trusted.has(root)) return { gitDir: root, workTree: null };
  return null;
}

/** Marks a registry repo's checkout as master's (its `.git` folder is trusted from now on). */
export function trustRepo(dir: string): GitTarget | null {
  return gitTargetFor(dir, { trust: true });
}

/** The environment of master's git: the caller's, minus every GIT_ variable, plus the target and no outside config. */
export function safeGitEnv(target: GitTarget | null, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('GIT_')) env[key] = value;
  Object.assign(env, extra, {
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: process.platform === 'win32' ? 'NUL' : '/dev/null',
    GIT_ATTR_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_EDITOR: 'true',
    GIT_SEQUENCE_EDITOR: 'true',
  });
  if (target) {
    env.GIT_DIR = target.gitDir;
    if (target.workTree) env.GIT_WORK_TREE = target.workTree;
  }
  return env;
}

/** The full argv of a git command master runs: the safe settings, then `args`. */
export function safeGitArgs(args: string[]): string[] {
  return [...SAFE_GIT_CONFIG.flatMap((setting) => ['-c', setting]), ...args];
}

/**
 * Runs git for `dir` (a repo or worktree master knows) and resolves with its
 * exit code and output; never rejects on a non-zero exit. A folder master
 * does not know as a repo is refused (exit 128) unless it has no `.git` at
 * all (then git runs there without finding any repo above it: `--version`,
 * `init`).
 */
export function runGit(dir: string, args: string[], extraEnv: Record<string, string> = {}): Promise<GitOutcome> {
  const target = args[0] === '--version' ? null : gitTargetFor(dir);
  if (!target && args[0] !== '--version' && existsSync(path.join(dir, '.git'))) {
    return Promise.resolve({ code: 128, stdout: '', stderr: `master does not know ${dir} as a repo or worktree of the registry (its .git names a git folder master did not make); git was not run` });
  }
  const env = safeGitEnv(target, extraEnv);
  if (!target) env.GIT_CEILING_DIRECTORIES = path.dirname(path.resolve(dir));
  return new Promise((resolve) => {
    execFile('git', safeGitArgs(args), { cwd: target?.workTree ?? (target ? target.gitDir : dir), env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 128) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
