import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gitSubcommand } from '../rules.js';
import { WRITE_TOOL_NAMES } from '../callInfo.js';
import type { BuiltinEnv, GuardCheck } from './types.js';

/** Subcommands that move or publish refs however they are called. */
const ALWAYS = new Map<string, string>([
  ['merge', 'merges'],
  ['pull', 'merges (pull is fetch + merge)'],
  ['push', 'pushes'],
  ['send-pack', 'pushes'],
  ['update-ref', 'updates a ref directly'],
  ['fast-import', 'writes refs directly'],
  ['filter-branch', 'rewrites branches'],
  ['filter-repo', 'rewrites branches'],
  ['replace', 'replaces objects behind every branch'],
]);
/** Subcommands that move the branch that is checked out. */
const MOVES_HEAD = new Set(['commit', 'cherry-pick', 'revert', 'am', 'reset', 'rebase']);
const BRANCH_WRITE_FLAGS = /^(-[fdDmMcC]+|--force|--delete|--move|--copy|--set-upstream-to(=.*)?|-u)$/;
const GIT_REF_FILE = /(^|\/)\.git\/(?:.*\/)?(refs\/heads\/|packed-refs$|HEAD$)|(^|\/)\.git\/worktrees\/[^/]+\/HEAD$/;

/**
 * Pre-merge gate: only the merge gate moves a main branch. An agent may not
 * merge, pull, push or update refs, rebase onto or check out a main branch,
 * reset, move or delete it, fetch into it, commit while it is checked out,
 * or write git's ref files — however the git command is dressed (`git -C`,
 * `cd x && git`, `env X=1 git`, `sh -c`, `;`, `&&`, `||`, pipes).
 */
export function preMergeGate(env: BuiltinEnv): GuardCheck {
  const mains = new Set<string>(['main', ...(env.spec.branches ?? [])]);
  for (const brand of env.registry.brands) for (const repo of brand.repos) mains.add(repo.mainBranch);
  const namesMain = (arg: string): boolean => {
    let ref = arg.replace(/^\+/, '');
    if (ref.includes(':')) return ref.split(':').some((side) => side !== '' && namesMain(side));
    ref = ref.replace(/[~^].*$/, '').replace(/@\{.*\}$/, '');
    ref = ref.replace(/^refs\/heads\//, '').replace(/^refs\/remotes\/[^/]+\//, '');
    if (mains.has(ref)) return true;
    const slash = ref.indexOf('/');
    return slash > 0 && mains.has(ref.slice(slash + 1));
  };
  return (call, context, info) => {
    if (info.kind === 'file') {
      if (!WRITE_TOOL_NAMES.has(call.name)) return null;
      const hit = info.touches.find((t) => GIT_REF_FILE.test(t.path) || GIT_REF_FILE.test(info.real(t.path)));
      return hit ? `${hit.path} is one of git's ref files; only the merge gate moves branches` : null;
    }
    if (info.kind !== 'bash') return null;
    for (const touch of info.touches) {
      if (touch.access === 'write' && (GIT_REF_FILE.test(touch.path) || (!touch.glob && GIT_REF_FILE.test(info.real(touch.path))))) {
        return `this command writes ${touch.path}, one of git's ref files; only the merge gate moves branches`;
      }
    }
    for (const command of info.commands) {
      const program = path.basename(command.argv[0] ?? '');
      if (program === 'gh' && command.argv[1] === 'pr' && command.argv[2] === 'merge') return '`gh pr merge` merges outside the gate; only the merge gate moves main';
      if (program !== 'git') continue;
      const reason = judgeGit(command.argv, namesMain, mains, () => checkedOutBranch(gitDirs(command.argv, command.cwds), context.cwd));
      if (reason) return `\`${command.argv.join(' ')}\` ${reason}; only the merge gate moves main (finish your work on the ticket branch, the gate merges it)`;
    }
    return null;
  };
}

function judgeGit(
  argv: string[],
  namesMain: (arg: string) => boolean,
  mains: Set<string>,
  currentBranches: () => Array<string | null>,
): string | null {
  if (argv.some((a, i) => argv[i - 1] === '-c' && /^alias\./i.test(a))) return 'defines a git alias on the command line, which can hide any subcommand';
  const sub = gitSubcommand(argv);
  const name = sub[0] ?? '';
  const args = sub.slice(1);
  const dashdash = args.indexOf('--');
  const refArgs = dashdash === -1 ? args : args.slice(0, dashdash);
  const positional = refArgs.filter((a) => !a.startsWith('-'));
  const mentionsMain = positional.some(namesMain) || args.some((a) => /^--onto=/.test(a) && namesMain(a.slice(7)));
  const always = ALWAYS.get(name);
  if (always) return always;
  switch (name) {
    case 'rebase':
      if (args.some((a) => /^--(continue|abort|skip|quit|edit-todo|show-current-patch)$/.test(a))) return null;
      if (positional.length === 0) return 'rebases onto its upstream (usually main)';
      if (mentionsMain) return 'rebases onto or rewrites a main branch';
      break;
    case 'checkout':
    case 'switch':
      if (dashdash !== -1 && name === 'checkout') return null;
      {
        // `checkout -b new main` starts a new branch from main: fine, unless the new branch is called main.
        const create = args.findIndex((a) => /^(-[bBcC]|--orphan|--create|--force-create)$/.test(a));
        if (create !== -1) return namesMain(args[create + 1] ?? '') ? 'creates or resets a main branch' : null;
      }
      if (mentionsMain) return `checks out a main branch`;
      break;
    case 'reset':
      if (mentionsMain) return 'resets to or a main branch';
      break;
    case 'branch':
      if (positional.some(namesMain) && (args.some((a) => BRANCH_WRITE_FLAGS.test(a)) || namesMain(positional[0] ?? ''))) return 'creates, moves, renames or deletes a main branch';
      break;
    case 'fetch':
      if (args.some((a) => a.includes(':') && namesMain(a.split(':').pop() ?? ''))) return 'fetches into a main branch';
      break;
    case 'symbolic-ref':
      if (positional.length >= 2) return 'points a ref somewhere else';
      break;
    case 'worktree':
      if (args[0] === 'add' && mentionsMain) return 'checks out a main branch in another worktree';
      break;
    case 'tag':
    case 'notes':
      break;
  }
  if (MOVES_HEAD.has(name)) {
    const branches = currentBranches();
    const onMain = branches.find((b) => b !== null && mains.has(b));
    if (onMain) return `runs on the checked-out main branch "${onMain}" and would move it`;
  }
  return null;
}

/** Where a git command runs: its cwds, or `-C dir` resolved against them. */
function gitDirs(argv: string[], cwds: string[]): string[] {
  const c = argv.indexOf('-C');
  if (c === -1 || c + 1 >= argv.length) return cwds;
  return cwds.map((cwd) => path.resolve(cwd, argv[c + 1]!));
}

/** The branch checked out in the repo of each folder (null when unknown or detached). */
function checkedOutBranch(cwds: string[], fallback: string): Array<string | null> {
  return (cwds.length ? cwds : [fallback]).map(headOf);
}

function headOf(start: string): string | null {
  let dir = start;
  for (;;) {
    const dotGit = path.join(dir, '.git');
    let gitDir: string | null = null;
    try {
      const text = readFileSync(dotGit, 'utf8');
      const m = /^gitdir: (.+)$/m.exec(text);
      if (m) gitDir = path.resolve(dir, m[1]!.trim());
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EISDIR') gitDir = dotGit;
    }
    if (gitDir) {
      try {
        const head = readFileSync(path.join(gitDir, 'HEAD'), 'utf8').trim();
        const m = /^ref: refs\/heads\/(.+)$/.exec(head);
        return m ? m[1]! : null;
      } catch {
        return null;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}
