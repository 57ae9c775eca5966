import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gitSubcommand } from '../rules.js';
import { WRITE_TOOL_NAMES } from '../callInfo.js';
import { isInside } from '../pathPolicy.js';
import { absoluteOf, realPath, resolveDots } from '../realPath.js';
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
/** git's own settings and hooks: an alias or a hook there runs inside the gate's git commands. */
const GIT_CONTROL_FILE = /(^|\/)\.git\/(config|config\.worktree|hooks\/.*|worktrees\/[^/]+\/config\.worktree)$/;
/** Variables that point git at another repository, work tree, index or config: the primary checkout's, say. */
const GIT_REDIRECT_ENV = /^GIT_(DIR|WORK_TREE|COMMON_DIR|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|NAMESPACE|CONFIG|CONFIG_.*)$/;
/** Global options with the same effect. */
const GIT_REDIRECT_OPTION = /^--(git-dir|work-tree|namespace|config-env)(=|$)/;
/**
 * Settings that, set even for one command (`-c`), change what or where a git
 * command writes, or run a program of the command line's choosing (which can
 * run git again, unread: `core.fsmonitor="git update-ref ..."`), or check a
 * committed symlink out as a real link.
 */
const DANGEROUS_KEY = new RegExp(
  '^(alias\\.|include\\.|includeif\\.|filter\\.|credential\\.|gpg\\.|pager\\.|difftool\\.|mergetool\\.|protocol\\.|url\\.|' +
    'core\\.(worktree|bare|hookspath|fsmonitor|pager|editor|sshcommand|askpass|gitproxy|symlinks|alternaterefscommand)$|' +
    'diff\\.external$|diff\\..+\\.(textconv|command)$|merge\\..+\\.driver$|sequence\\.editor$|interactive\\.difffilter$|' +
    'remote\\..+\\.(uploadpack|receivepack|proxy|vcs)$|uploadpack\\.packobjectshook$|http\\.|ssh\\.variant$|' +
    'sendemail\\.|instaweb\\.|web\\.browser$|browser\\.|man\\.|submodule\\.|fetch\\.|gc\\.|maintenance\\.|trace2\\.|hook\\.)',
  'i',
);
/** A pager setting naming a plain pager (`-c core.pager=cat`): it runs nothing else. */
const HARMLESS_PAGER = /^(core\.pager|pager\.[\w-]+)=(cat|less|more|less -[A-Za-z]+|false|true)?$/i;
/** Settings an agent may write to a repo's config: none of them runs a program or redirects git. */
const SAFE_CONFIG_KEY =
  /^(user\.(name|email)|color\..*|advice\..*|core\.(autocrlf|safecrlf|filemode|ignorecase|eol|quotepath|whitespace)|pull\.(rebase|ff)|push\.default|init\.defaultbranch|merge\.conflictstyle|diff\.(algorithm|renames|colormoved|mnemonicprefix)|rerere\.(enabled|autoupdate)|fetch\.prune|log\.[a-z]+|status\.[a-z]+|commit\.(verbose|cleanup|status))$/i;
/** Subcommands that only read: they may run anywhere. */
const READ_ONLY_GIT = new Set([
  'status',
  'diff',
  'log',
  'show',
  'rev-parse',
  'ls-files',
  'ls-tree',
  'cat-file',
  'blame',
  'grep',
  'describe',
  'shortlog',
  'show-ref',
  'for-each-ref',
  'rev-list',
  'merge-base',
  'version',
  'help',
  '',
]);
/** git's own subcommands: git never lets an alias shadow them, so only other names are looked up as aliases. */
const GIT_BUILTINS = new Set(
  (
    'add am annotate apply archive bisect blame branch bugreport bundle cat-file check-attr check-ignore check-mailmap check-ref-format checkout checkout-index ' +
    'cherry cherry-pick citool clean clone column commit commit-graph commit-tree config count-objects credential describe diagnose diff diff-files diff-index ' +
    'diff-tree difftool fast-export fast-import fetch fetch-pack filter-branch fmt-merge-msg for-each-ref for-each-repo format-patch fsck gc get-tar-commit-id ' +
    'grep gui hash-object help hook index-pack init init-db instaweb interpret-trailers log ls-files ls-remote ls-tree mailinfo mailsplit maintenance merge ' +
    'merge-base merge-file merge-index merge-one-file merge-tree mergetool mktag mktree multi-pack-index mv name-rev notes pack-objects pack-redundant pack-refs ' +
    'patch-id prune prune-packed pull push range-diff read-tree rebase receive-pack reflog remote repack replace replay request-pull rerere reset restore ' +
    'rev-list rev-parse revert rm send-email send-pack shortlog show show-branch show-index show-ref sparse-checkout stash status stripspace submodule switch ' +
    'symbolic-ref tag unpack-file unpack-objects update-index update-ref update-server-info upload-archive upload-pack var verify-commit verify-pack ' +
    'verify-tag version whatchanged worktree write-tree'
  ).split(' '),
);

interface GitEnv {
  namesMain: (arg: string) => boolean;
  mains: Set<string>;
  /** The folders the git command runs in (`-C` applied). */
  dirs: string[];
  /** The confinement root. */
  root: string;
  /** The value of an alias in the repo of `dir` (undefined: none), or an Error when git cannot say. */
  alias: (name: string, dir: string) => string | undefined | Error;
}

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
    const gitFile = (p: string) => (GIT_REF_FILE.test(p) ? 'ref' : GIT_CONTROL_FILE.test(p) ? 'control' : null);
    const fileReason = (shown: string, kind: 'ref' | 'control') =>
      kind === 'ref'
        ? `${shown} is one of git's ref files; only the merge gate moves branches`
        : `${shown} is git's own config or hooks, which the merge gate's git commands read (an alias or hook there runs inside them); only the operator changes it`;
    if (info.kind === 'file') {
      if (!WRITE_TOOL_NAMES.has(call.name)) return null;
      for (const t of info.touches) {
        const kind = gitFile(t.path) ?? gitFile(info.real(t.path));
        if (kind) return fileReason(t.path, kind);
      }
      return null;
    }
    if (info.kind !== 'bash') return null;
    for (const touch of info.touches) {
      if (touch.access !== 'write') continue;
      const kind = gitFile(touch.path) ?? (touch.glob ? null : gitFile(info.real(touch.path)));
      if (kind) return `this command writes ${touch.path}: ${fileReason(touch.path, kind)}`;
    }
    const hasGit = info.commands.some((c) => path.basename(c.argv[0] ?? '') === 'git');
    const redirect = info.assigned.find((name) => GIT_REDIRECT_ENV.test(name) || (name === '*' && hasGit));
    if (redirect) {
      return `this command sets ${redirect === '*' ? 'a variable whose name cannot be known before it runs' : redirect}, which can point git at another repository, work tree, index or config (the primary checkout's); only the merge gate moves main`;
    }
    for (const command of info.commands) {
      const program = path.basename(command.argv[0] ?? '');
      if (program === 'gh' && command.argv[1] === 'pr' && command.argv[2] === 'merge') return '`gh pr merge` merges outside the gate; only the merge gate moves main';
      if (program !== 'git') continue;
      const dirs = gitDirs(command.argv, command.cwds.length ? command.cwds : [context.cwd]);
      const sub = gitSubcommand(command.argv)[0] ?? '';
      if ((command.cwdUnknown || dirs.some((d) => d.includes('*'))) && !READ_ONLY_GIT.has(sub)) {
        return `\`${command.argv.join(' ')}\` runs git in a folder that cannot be known before the command runs (\`cd "$(...)"\`, \`git -C "$X"\`), perhaps a checkout of main; only the merge gate moves main`;
      }
      const reason = judgeGit(command.argv, { namesMain, mains, dirs, root: context.root, alias: gitAlias }, 0);
      if (reason) return `\`${command.argv.join(' ')}\` ${reason}; only the merge gate moves main (finish your work on the ticket branch, the gate merges it)`;
    }
    return null;
  };
}

function judgeGit(argv: string[], env: GitEnv, depth: number): string | null {
  const { namesMain, mains } = env;
  const sub = gitSubcommand(argv);
  const globals = argv.slice(1, argv.length - sub.length);
  for (let i = 0; i < globals.length; i++) {
    const option = globals[i]!;
    if (GIT_REDIRECT_OPTION.test(option)) return `points git at another repository, work tree or namespace (${option.replace(/=.*/, '')})`;
    const setting = option === '-c' ? (globals[i + 1] ?? '') : /^-c./.test(option) ? option.slice(2) : null;
    if (setting !== null && DANGEROUS_KEY.test(setting.replace(/=.*/, '')) && !HARMLESS_PAGER.test(setting)) {
      return /^alias\./i.test(setting)
        ? 'defines a git alias on the command line, which can hide any subcommand'
        : `sets ${setting.replace(/=.*/, '')} on the command line, which changes what or where git writes or runs a program git itself starts (unread by the guards)`;
    }
  }
  const name = sub[0] ?? '';
  const args = sub.slice(1);
  if (name !== '' && !GIT_BUILTINS.has(name)) {
    // Perhaps an alias from the repo's (or the operator's) config: judge what it stands for.
    for (const dir of env.dirs) {
      const value = env.alias(name, dir);
      if (value instanceof Error) return `may be an alias, and git cannot say what it stands for (${value.message})`;
      if (value === undefined) continue;
      if (value.trimStart().startsWith('!')) return `runs the shell alias "${name}" (${value.trim()}), which the guards cannot read`;
      if (depth >= 8) return `is an alias that expands into another alias too many times`;
      const expanded = ['git', ...globals, ...splitAlias(value), ...args];
      const reason = judgeGit(expanded, { ...env, dirs: [dir] }, depth + 1);
      if (reason) return `is the alias "${name}" for \`git ${value.trim()}\`, which ${reason}`;
    }
    return null;
  }
  if (name === 'config') return judgeConfig(args, env);
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
    const branches = env.dirs.map(headOf);
    const onMain = branches.find((b) => b !== null && mains.has(b));
    if (onMain) return `runs on the checked-out main branch "${onMain}" and would move it`;
  }
  return null;
}

/** What a `git config` command would do: reads pass; writes only of settings that neither run programs nor redirect git. */
function judgeConfig(args: string[], env: GitEnv): string | null {
  const VALUED = /^(-f|--file|--blob|--type|--default|--comment|--value|--url)$/;
  const READS = /^(--get|--get-all|--get-regexp|--get-urlmatch|--get-color|--get-colorbool|-l|--list)$/;
  const WRITES = /^(--add|--replace-all|--unset|--unset-all|--rename-section|--remove-section|-e|--edit)$/;
  let file: string | undefined;
  let action: 'read' | 'write' | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (VALUED.test(a)) {
      if (a === '-f' || a === '--file') file = args[i + 1];
      i++;
    } else if (/^--file=/.test(a)) file = a.slice('--file='.length);
    else if (READS.test(a)) action ??= 'read';
    else if (WRITES.test(a)) action = 'write';
    else if (!a.startsWith('-') || a === '-') positional.push(a);
  }
  const verbs = new Set(['list', 'get', 'set', 'unset', 'rename-section', 'remove-section', 'edit']);
  let keys = positional;
  let verb = '';
  if (action === undefined && verbs.has(positional[0] ?? '')) {
    // git 2.46's `git config <verb>` form.
    verb = positional[0]!;
    action = verb === 'list' || verb === 'get' ? 'read' : 'write';
    keys = positional.slice(1);
  }
  if (action === undefined) action = positional.length >= 2 ? 'write' : 'read';
  if (action === 'read') return null;
  if (file !== undefined && file !== '-') {
    // A file of the worktree's own (`.gitmodules`, say) is not git's config; confinement judges the path.
    const targets = env.dirs.map((dir) => realPath(file!, dir));
    if (targets.every((t) => isInside(t, realPath(env.root, '/')) && !/(^|\/)\.git(\/|$)/.test(t))) return null;
  }
  const key = keys[0] ?? '';
  if (args.some((a) => /^(-e|--edit|--rename-section|--remove-section)$/.test(a)) || /^(edit|rename-section|remove-section)$/.test(verb)) {
    return "edits or renames whole sections of git config, which the merge gate's own git commands read";
  }
  if (SAFE_CONFIG_KEY.test(key)) return null;
  return `writes the git setting "${key || '?'}" into a config the merge gate's own git commands read (an alias can hide a ref update; hooksPath, worktree and include redirect git)`;
}

/** An alias's words, split as git splits them (whitespace, with quotes). */
function splitAlias(value: string): string[] {
  const words: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(value))) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

/** The alias `name` in the config git reads in `dir`; undefined when there is none. */
function gitAlias(name: string, dir: string): string | undefined | Error {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(name)) return undefined;
  const result = spawnSync('git', ['config', '--get', `alias.${name}`], { cwd: existingFolder(dir), encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) return result.error;
  if (result.status === 0) return result.stdout.replace(/\n$/, '');
  if (result.status === 1) return undefined;
  return new Error(result.stderr.trim().split('\n')[0] || `git config exited ${result.status}`);
}

function existingFolder(dir: string): string {
  for (let current = dir; ; current = path.dirname(current)) {
    try {
      if (statSync(current).isDirectory()) return current;
    } catch {
      // not there (yet): its parent
    }
    if (current === path.dirname(current)) return current;
  }
}

/** Where a git command runs: its cwds, each `-C dir` applied in turn (`..` resolved as the OS does). */
function gitDirs(argv: string[], cwds: string[]): string[] {
  const sub = gitSubcommand(argv);
  const globals = argv.slice(1, argv.length - sub.length);
  let dirs = cwds;
  for (let i = 0; i < globals.length; i++) {
    if (globals[i] === '-C' && globals[i + 1] !== undefined) {
      const target = globals[++i]!;
      dirs = dirs.map((cwd) => resolveDots(absoluteOf(target, cwd)));
    }
  }
  return dirs;
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
