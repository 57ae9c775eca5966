import path from 'node:path';
import { escapeGlob, hasGlob, unescapeGlob } from '../glob.js';
import { absoluteOf, resolveDots } from '../realPath.js';
import { parseShell, type Part, type Script, type SimpleCommand, type Word } from './parse.js';

/**
 * What a Bash command touches, read statically: every simple command (nested
 * ones included) with its expanded argv, and every word that could be a path,
 * resolved against every folder the command may be in by then (`cd` chains
 * are followed; all the folders seen are kept, so a subshell's `cd` cannot
 * hide where a relative path points). Variables assigned in the command, and
 * those of the environment, are expanded; what cannot be known (`$1`, a
 * command substitution's output) becomes `*`, a glob. A path whose leading
 * part cannot be known (`$(echo ../../x)`, `$f`), or a relative one after a
 * `cd` to a place that cannot be known, can be anywhere: it becomes `/**`.
 */

export type Access = 'read' | 'write';

export interface PathUse {
  /** Absolute, normalized; a glob pattern (escaped) when `glob` is set. */
  path: string;
  glob: boolean;
  access: Access;
  /** The program whose argument (or redirection) it is. */
  program: string;
  /** Why the path may be anything (set on `/**` paths the reading could not know): what a refusal quotes. */
  unknown?: string;
}

export interface CommandUse {
  /** argv after launchers (`env`, `sudo`, `timeout`, ...) are removed; unknown parts are `*`. */
  argv: string[];
  /** The folders the command may run in. */
  cwds: string[];
  /** Set when the command may also run in a folder that cannot be known (`cd "$(...)"`). */
  cwdUnknown?: boolean;
}

export interface ShellAnalysis {
  commands: CommandUse[];
  paths: PathUse[];
  /**
   * Names of the variables the command sets or exports anywhere: `X=1 cmd`,
   * `X=1;`, `env X=1`, `export X`, `declare -x X=1`, `read X`, `printf -v X`,
   * `for X in`. Unknown names (`export "$n"=1`) appear as `*`.
   */
  assigned: string[];
  /**
   * Set when the reading stopped at its budget (size, steps, nesting): the
   * analysis is incomplete, and the reason says which limit was reached.
   */
  overBudget?: string;
  /** Steps the reading took (see AnalysisBudget.maxSteps): what bounds its time. */
  steps: number;
}

/** Limits that keep the reading well inside a hook's timeout, whatever the input. */
export interface AnalysisBudget {
  /** Characters of command text read at most. */
  maxChars: number;
  /** Steps (commands visited, folders followed, paths produced) at most. */
  maxSteps: number;
}

export const DEFAULT_BUDGET: AnalysisBudget = { maxChars: 64 * 1024, maxSteps: 10_000 };
/**
 * Folders a `cd` chain is followed into at most. Every `cd` may fail, so n of
 * them give up to 2^n folders; past this many, the cwd is treated as unknown
 * (a relative path may be anywhere), which keeps the reading linear.
 */
export const MAX_CWDS = 32;

export interface AnalyzeOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  home?: string;
  budget?: Partial<AnalysisBudget>;
}

interface Meter {
  steps: number;
  maxSteps: number;
  over: string | null;
}

interface State {
  cwds: Set<string>;
  vars: Map<string, string | null>;
  env: Record<string, string | undefined>;
  home: string;
  depth: number;
  /** A `cd` went somewhere that cannot be known: relative paths from here on can be anywhere. */
  cwdUnknown: boolean;
  /** `for f in a.js b/*.js`: variables whose values are paths inside the cwd, though not known one by one. */
  local: Set<string>;
  /** Shared by every nested state: the budget left. */
  meter: Meter;
}

/** Expanded word: `pattern` with quoted glob characters escaped; `text` without. */
interface Expanded {
  pattern: string;
  text: string;
  glob: boolean;
  subs: Script[];
  /** Offsets in `text` where a part that cannot be known starts. */
  unknownAt?: number[];
}

/** Builtins whose arguments are only text (their redirections are still read above). */
const TEXT_ONLY = new Set(['echo', 'printf', 'true', 'false', ':', 'exit', 'return', 'shift', 'wait', 'sleep', 'seq', 'yes']);
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'ash', 'fish']);
/** Commands whose path arguments are written (or removed, moved, changed). */
const WRITERS = new Set([
  'rm',
  'rmdir',
  'mv',
  'cp',
  'touch',
  'truncate',
  'shred',
  'unlink',
  'chmod',
  'chown',
  'chgrp',
  'mkdir',
  'ln',
  'link',
  'install',
  'tee',
  'dd',
  'rsync',
  'patch',
  'mkfifo',
  'mknod',
  'tar',
  'unzip',
  'sponge',
  'split',
  'csplit',
  'setfacl',
  'chattr',
]);
/** Commands that write through a flag: `sed -i`, `perl -i`, `find -delete`, ... */
const INPLACE = new Map<string, RegExp>([
  ['sed', /^-(?:[a-zA-Z]*i|-in-place)/],
  ['perl', /^-[a-zA-Z]*i/],
  ['ruby', /^-[a-zA-Z]*i/],
  ['find', /^-(?:delete|exec|execdir|ok|okdir|fprint|fprintf|fls)$/],
  ['sort', /^-(?:o|-output)/],
  ['git', /^./],
]);

/** Reads a command line; never throws. */
export function analyzeShell(command: string, options: AnalyzeOptions): ShellAnalysis {
  const out: ShellAnalysis = { commands: [], paths: [], assigned: [], steps: 0 };
  const budget = { ...DEFAULT_BUDGET, ...options.budget };
  if (command.length > budget.maxChars) {
    out.overBudget = `the command is ${command.length} characters long, more than the ${budget.maxChars} the guard reads; write a long script to a file and run the file`;
    return out;
  }
  const meter: Meter = { steps: 0, maxSteps: budget.maxSteps, over: null };
  const state: State = {
    cwds: new Set([path.resolve(options.cwd)]),
    vars: new Map(),
    env: options.env ?? process.env,
    home: options.home ?? process.env.HOME ?? '/',
    depth: 0,
    cwdUnknown: false,
    local: new Set(),
    meter,
  };
  walk(parseShell(command), state, out);
  if (meter.over) out.overBudget = meter.over;
  out.steps = Math.min(meter.steps, meter.maxSteps);
  return out;
}

/** Counts `n` steps; false once the budget is spent (the reading then stops). */
function step(state: State, n = 1): boolean {
  const meter = state.meter;
  if (meter.over) return false;
  meter.steps += n;
  if (meter.steps > meter.maxSteps) {
    meter.over = `the command needs more than ${meter.maxSteps} steps to check (it names too many paths or folders); split it into smaller commands`;
    return false;
  }
  return true;
}

function tooDeep(state: State): void {
  state.meter.over ??= 'the command nests shells or command substitutions deeper than the guard reads; write it as a script file and run the file';
}

function walk(script: Script, state: State, out: ShellAnalysis): void {
  if (script.truncated) tooDeep(state);
  for (const command of script.commands) {
    if (!step(state)) return;
    visitCommand(command, state, out);
  }
}

function expand(word: Word, state: State): Expanded {
  const result: Expanded = { pattern: '', text: '', glob: false, subs: [] };
  appendParts(word.parts, state, result);
  result.glob = hasGlob(result.pattern);
  return result;
}

function appendParts(parts: Part[], state: State, result: Expanded): void {
  for (const part of parts) {
    switch (part.kind) {
      case 'lit':
        // Unquoted text keeps its glob characters active; the parser turned every `\\x` into quoted text.
        result.pattern += part.quoted ? escapeGlob(part.text) : part.text;
        result.text += part.text;
        break;
      case 'tilde': {
        if (part.user === '-' || (part.user === '+' && (state.cwds.size !== 1 || state.cwdUnknown))) {
          unknown(result);
          break;
        }
        const home = part.user === '+' ? [...state.cwds][0]! : part.user === '' ? state.home : path.join(path.dirname(state.home), part.user);
        result.pattern += escapeGlob(home);
        result.text += home;
        break;
      }
      case 'var': {
        const value = lookup(part.name, state);
        if (value !== null) {
          result.pattern += escapeGlob(value);
          result.text += value;
        } else if (part.fallback) appendParts(part.fallback, state, result);
        else if (state.local.has(part.name)) unknown(result, false);
        else unknown(result);
        break;
      }
      case 'sub':
        result.subs.push(part.script);
        unknown(result);
        break;
      case 'unknown':
        unknown(result);
        break;
    }
  }
}

function unknown(result: Expanded, anywhere = true): void {
  if (anywhere) (result.unknownAt ??= []).push(result.text.length);
  result.pattern += '*';
  result.text += '*';
}

function lookup(name: string, state: State): string | null {
  if (state.vars.has(name)) return state.vars.get(name) ?? null;
  if (name === 'PWD') return state.cwds.size === 1 ? [...state.cwds][0]! : null;
  if (name === 'HOME') return state.home;
  const value = state.env[name];
  return value === undefined ? null : value;
}

const ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]*)\+?=/;

function visitCommand(command: SimpleCommand, state: State, out: ShellAnalysis): void {
  const words = command.words.map((w) => expand(w, state));
  for (const word of words) for (const sub of word.subs) nested(sub, state, out);
  // Leading NAME=value words: assignments (kept for the rest of the line; over-approximates `X=1 cmd`).
  let first = 0;
  while (first < words.length && ASSIGNMENT.test(words[first]!.text)) {
    const m = ASSIGNMENT.exec(words[first]!.text)!;
    const value = words[first]!.text.slice(m[0].length);
    state.vars.set(m[1]!, value.includes('*') ? null : value);
    out.assigned.push(m[1]!);
    candidate(words[first]!, m[0].length, 'read', '=', state, out, false);
    first++;
  }
  const launched = { xargs: false };
  const argvWords = unwrapLaunchers(words.slice(first), state, out, launched);
  const argv = argvWords.map((w) => w.text);
  const program = path.basename(argv[0] ?? '');
  const cwds = [...state.cwds];

  for (const redirect of command.redirects) {
    // A here-doc's or here-string's text: a script for a shell, code for an interpreter (`python3 - <<EOF`).
    let body: string | undefined = redirect.heredoc;
    if (redirect.op === '<<<' && redirect.target) {
      const word = expand(redirect.target, state);
      for (const sub of word.subs) nested(sub, state, out);
      body = word.text;
    }
    if (body !== undefined) {
      if (SHELLS.has(program) && !argv.includes('-c')) nested(parseShell(body, state.depth + 1), state, out);
      embedded({ pattern: escapeGlob(body), text: `\n${body}`, glob: false, subs: [] }, 'read', program || 'redirect', state, out);
      continue;
    }
    if (!redirect.target) continue;
    const target = expand(redirect.target, state);
    for (const sub of target.subs) nested(sub, state, out);
    const access: Access = redirect.op === '<' ? 'read' : 'write';
    candidate(target, 0, access, program || 'redirect', state, out);
  }
  if (argv.length === 0) return;
  out.commands.push(state.cwdUnknown ? { argv, cwds, cwdUnknown: true } : { argv, cwds });
  if (launched.xargs && program && !TEXT_ONLY.has(program)) {
    // `... | xargs cat`: the paths come from the input, which a static reading cannot know.
    const writes = WRITERS.has(program) || (INPLACE.get(program)?.test(argv.slice(1).join(' ')) ?? false);
    out.paths.push({ path: '/**', glob: true, access: writes ? 'write' : 'read', program, unknown: `the arguments of ${program} come from the input of xargs, which cannot be known before it runs` });
  }

  if (SHELLS.has(program) || program === 'eval') {
    const c = argv.indexOf('-c');
    const body = program === 'eval' ? argv.slice(1).join(' ') : c > 0 ? argv[c + 1] : undefined;
    if (body !== undefined) nested(parseShell(body, state.depth + 1), state, out);
  }
  if (program === 'cd' || program === 'pushd') {
    const target = argvWords.slice(1).find((w) => !w.text.startsWith('-'));
    changeDirectory(target, state);
  }
  if (program === 'for' && argv[2] === 'in') {
    // `for f in *.js`: $f is a path inside the cwd when every item is one.
    const items = argvWords.slice(3);
    const inside = items.every((w) => !w.unknownAt?.length && !/^[/~]/.test(w.text) && !/(^|\/)\.\.(\/|$)/.test(w.text));
    if (inside && !state.cwdUnknown && /^[A-Za-z_][A-Za-z0-9_]*$/.test(argv[1] ?? '')) state.local.add(argv[1]!);
  }
  if (ASSIGNERS.has(program)) {
    for (let i = 1; i < argv.length; i++) {
      const word = argv[i]!;
      if (word.startsWith('-')) {
        // `printf -v NAME`, `read -p PROMPT`: the option's value; only printf's is a name.
        if (program === 'printf' && word === '-v' && argv[i + 1]) out.assigned.push(argv[++i]!);
        continue;
      }
      if (program === 'printf') break;
      const name = /^([^=]*)/.exec(word)![1]!;
      out.assigned.push(/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : '*');
      if (program === 'for') break;
    }
  }
  if (['export', 'declare', 'local', 'readonly', 'typeset'].includes(program)) {
    for (const word of argvWords.slice(1)) {
      const m = ASSIGNMENT.exec(word.text);
      if (m) state.vars.set(m[1]!, word.text.includes('*') ? null : word.text.slice(m[0].length));
    }
  }

  // Their arguments are text, never opened: `echo "$X"` must not read as a read of `*`.
  if (TEXT_ONLY.has(program)) return;
  const writes = classifyWrites(program, argv);
  argvWords.forEach((word, i) => {
    if (i === 0 && !word.text.includes('/')) return;
    // A commit message (`git commit -m "$(cat <<EOF ...)"`) is text.
    if (program === 'git' && /^(-m|--message)$/.test(argv[i - 1] ?? '')) return;
    const access: Access = writes(i) ? 'write' : 'read';
    const eq = /^--?[A-Za-z0-9][\w-]*=/.exec(word.text);
    if (word.text.startsWith('-') && !eq) {
      // `-C/dir`, `-o/out`: a short option glued to a path.
      const glued = /^-[A-Za-z](\/.*|~.*|\.\.?\/.*)$/.exec(word.text);
      if (glued) candidate(word, 2, access, program, state, out);
      embedded(word, access, program, state, out);
      return;
    }
    candidate(word, eq ? eq[0].length : 0, access, program, state, out);
    if (program === 'dd' && /^(of|if)=/.test(word.text)) candidate(word, 3, word.text.startsWith('of') ? 'write' : 'read', program, state, out);
    embedded(word, access, program, state, out);
  });
}

function nested(script: Script, state: State, out: ShellAnalysis): void {
  if (state.depth >= 6) {
    tooDeep(state);
    return;
  }
  // A nested script starts where the outer one is and cannot change it (a subshell).
  const inner: State = { ...state, cwds: new Set(state.cwds), vars: new Map(state.vars), depth: state.depth + 1 };
  walk(script, inner, out);
  addCwds(state, inner.cwds);
  if (inner.cwdUnknown) state.cwdUnknown = true;
}

/** Paths already produced from a set of possible folders (forgotten when the set grows). */
const SEEN = new WeakMap<Set<string>, Set<string>>();

/** Adds possible folders; past MAX_CWDS the cwd is unknown instead (see MAX_CWDS). */
function addCwds(state: State, cwds: Iterable<string>): void {
  for (const cwd of cwds) {
    if (state.cwds.has(cwd)) continue;
    SEEN.delete(state.cwds);
    if (state.cwds.size >= MAX_CWDS) {
      state.cwdUnknown = true;
      return;
    }
    state.cwds.add(cwd);
  }
}

function changeDirectory(target: Expanded | undefined, state: State): void {
  const next = new Set<string>();
  const destination = target ? target.text : state.home;
  if (destination === '-') return;
  // `cd "$(...)"`, `cd $D`, `cd x*`, or a relative name looked up in CDPATH: from here on the cwd may be anywhere.
  const cdpath = lookup('CDPATH', state);
  if (destination.includes('*') || (cdpath !== null && cdpath !== '' && !/^\.{0,2}\//.test(destination))) {
    state.cwdUnknown = true;
    return;
  }
  if (state.cwdUnknown) return;
  for (const cwd of state.cwds) {
    if (!step(state)) return;
    // Bash's `cd` is logical (`cd link/..` cancels lexically), `cd -P` physical: both stay possible.
    next.add(path.resolve(cwd, destination));
    next.add(resolveDots(absoluteOf(destination, cwd)));
  }
  // Every folder stays possible: `(cd x)`, `cd x | y`, `cd x || true` may or may not move.
  addCwds(state, next);
}

/** Builtins whose operands name variables they set. */
const ASSIGNERS = new Set(['export', 'declare', 'local', 'readonly', 'typeset', 'read', 'printf', 'for', 'mapfile', 'readarray', 'getopts']);

const LAUNCHERS = new Set([
  'env',
  'command',
  'builtin',
  'exec',
  'nohup',
  'nice',
  'time',
  'timeout',
  'sudo',
  'doas',
  'xargs',
  'stdbuf',
  'ionice',
  'setsid',
  'chronic',
  'unbuffer',
  'taskset',
  'flock',
  'then',
  'do',
  'else',
  'if',
  'while',
  'until',
  '!',
  '{',
]);
/** Options of launchers that take a value. */
const LAUNCHER_VALUE_OPTIONS: Record<string, RegExp> = {
  env: /^-(u|C|S)$|^--(unset|chdir|split-string)$/,
  nice: /^-n$|^--adjustment$/,
  timeout: /^-(s|k)$|^--(signal|kill-after)$/,
  sudo: /^-(u|g|C|D|h|p|r|t|U)$/,
  xargs: /^-(a|d|E|I|i|L|l|n|P|s)$/,
  stdbuf: /^-(i|o|e)$/,
  ionice: /^-(c|n|p)$/,
  taskset: /^-c?p?$/,
  flock: /^-(w|E|conflict-exit-code)$/,
};

/** Drops `env X=1`, `sudo -u x`, `timeout 5`, `xargs -n1` and the like: what runs is the command after them. */
function unwrapLaunchers(words: Expanded[], state: State, out: ShellAnalysis, launched: { xargs: boolean }): Expanded[] {
  let rest = words;
  for (let guard = 0; guard < 8 && rest.length; guard++) {
    const program = path.basename(rest[0]!.text);
    if (!LAUNCHERS.has(program)) break;
    if (program === 'xargs') launched.xargs = true;
    let i = 1;
    const valued = LAUNCHER_VALUE_OPTIONS[program];
    while (i < rest.length) {
      const text = rest[i]!.text;
      if (program === 'env' && ASSIGNMENT.test(text)) {
        const m = ASSIGNMENT.exec(text)!;
        state.vars.set(m[1]!, text.slice(m[0].length));
        out.assigned.push(m[1]!);
        i++;
      } else if (text.startsWith('-') && text !== '-') {
        if (program === 'env' && /^(-C|--chdir)$/.test(text) && rest[i + 1]) changeDirectory(rest[i + 1], state);
        if (program === 'env' && /^(-S|--split-string)/.test(text)) {
          // `env -S 'GIT_DIR=x git commit'`: the string is a command line of its own.
          const glued = text.replace(/^(-S|--split-string=?)/, '');
          const body = glued || (/^(-S|--split-string)$/.test(text) ? rest[i + 1]?.text : undefined);
          if (body !== undefined) nested(parseShell(`env ${body}`, state.depth + 1), state, out);
          if (glued) {
            i++;
            continue;
          }
        }
        i += valued?.test(text) ? 2 : 1;
      } else break;
    }
    if (program === 'timeout' && i < rest.length) i++; // the duration
    if (program === 'flock' && i < rest.length) i++; // the lock file
    rest = rest.slice(i);
  }
  return rest;
}

/** Which argument positions a program writes to. */
function classifyWrites(program: string, argv: string[]): (index: number) => boolean {
  if (WRITERS.has(program)) {
    if (program === 'cp' || program === 'install' || program === 'ln' || program === 'link' || program === 'rsync') {
      // Sources are read, the destination (last operand, or `-t DIR`) written.
      const t = argv.findIndex((a) => a === '-t' || a.startsWith('--target-directory'));
      const last = argv.length - 1;
      return (i) => i > 0 && (i === last || i === t + 1 || argv[i]!.startsWith('--target-directory='));
    }
    if (program === 'dd') return (i) => i > 0 && argv[i]!.startsWith('of=');
    if (program === 'tar') return (i) => i > 0;
    return (i) => i > 0;
  }
  const flag = INPLACE.get(program);
  if (flag && argv.slice(1).some((a) => flag.test(a))) {
    // git writes in its repo; where (`-C`, `--git-dir`, `--work-tree`) is what confinement checks.
    if (program === 'git') return (i) => i > 0 && (argv[i - 1] === '-C' || /^--(git-dir|work-tree)=/.test(argv[i]!) || argv[i - 1] === '--git-dir' || argv[i - 1] === '--work-tree');
    return (i) => i > 0;
  }
  return () => false;
}

/** A word (from character `offset`) as a path, once per possible cwd. */
function candidate(word: Expanded, offset: number, access: Access, program: string, state: State, out: ShellAnalysis, anywhere = true): void {
  const pattern = offset ? sliceExpanded(word, offset) : word.pattern;
  if (pattern === '' || pattern === '-') return;
  // The same word from the same folders gives the same paths: a script that names a path a thousand times costs one.
  const key = `${access}\0${program}\0${anywhere}\0${state.cwdUnknown}\0${word.unknownAt?.includes(offset) ?? false}\0${pattern}`;
  let seen = SEEN.get(state.cwds);
  if (!seen) SEEN.set(state.cwds, (seen = new Set()));
  if (seen.has(key)) return void step(state);
  seen.add(key);
  if (word.unknownAt?.includes(offset) || (state.cwdUnknown && !pattern.startsWith('/'))) {
    // Its leading part cannot be known (or the cwd cannot): it may name any file at all.
    const shown = sliceText(word, offset);
    const unknown = word.unknownAt?.includes(offset)
      ? `\`${shown}\` (${program}) starts with a part that cannot be known before it runs (a variable, \`$(...)\`)`
      : `\`${shown}\` (${program}) is relative to a folder that cannot be known (a \`cd\` to a computed place, or more \`cd\` outcomes than the guard follows)`;
    if (anywhere) out.paths.push({ path: '/**', glob: true, access, program, unknown });
    return;
  }
  if (!step(state, pattern.startsWith('/') ? 1 : state.cwds.size)) return;
  const glob = hasGlob(pattern);
  const push = (absolute: string) => {
    const normalized = normalize(absolute, glob);
    const climbs = glob && normalized === '/**' && absolute !== '/**';
    out.paths.push(
      climbs
        ? { path: normalized, glob, access, program, unknown: `\`${sliceText(word, offset)}\` (${program}) climbs with \`..\` out of what a wildcard matched, which may be a link to anywhere` }
        : { path: normalized, glob, access, program },
    );
  };
  if (pattern.startsWith('/')) push(pattern);
  else for (const cwd of state.cwds) push(`${escapeGlob(cwd)}/${pattern}`);
}

function sliceText(word: Expanded, offset: number): string {
  const text = word.text.slice(offset);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Absolute paths inside a word (`--out=/x`, `python3 -c "open('/x')"`, `a:/b`). */
function embedded(word: Expanded, access: Access, program: string, state: State, out: ShellAnalysis): void {
  const text = word.text;
  if (!text.slice(1).includes('/')) return;
  // A path starts after a separator a language would put before a string: space, quote, `=`, `:`, `,`, `(`.
  const re = /(?:^|[\s=:,;'"`([{])((?:~|\.{1,2})?\/[^\s'"`;,)(<>|&]*)/g;
  let m: RegExpExecArray | null;
  // Relative paths quoted inside code (`open('.master/state.json')`).
  const quoted = /['"]([\w.-][^'"\s]*\/[^'"\s]*)['"]/g;
  while ((m = quoted.exec(text))) {
    const found = m[1]!;
    candidate({ pattern: escapeGlob(found), text: found, glob: false, subs: [] }, 0, access, program, state, out);
  }
  while ((m = re.exec(text))) {
    const found = m[1]!;
    if (m.index === 0 && found === text) continue;
    const expanded = found.startsWith('~') ? state.home + found.slice(1) : found;
    const pattern = escapeGlob(expanded).replace(/\\\*/g, '*');
    candidate({ pattern, text: expanded, glob: false, subs: [] }, 0, access, program, state, out);
  }
}

function sliceExpanded(word: Expanded, offset: number): string {
  // `offset` counts characters of the text; walk the pattern skipping escapes.
  let seen = 0;
  let i = 0;
  while (i < word.pattern.length && seen < offset) {
    i += word.pattern[i] === '\\' ? 2 : 1;
    seen++;
  }
  return word.pattern.slice(i);
}

/**
 * A candidate path made absolute and normalized the way the OS will resolve
 * it: `..` after a symlink goes to the parent of where the link points, never
 * lexically cancelled against it (`up/../state.json` with `up -> ../..`).
 */
function normalize(pattern: string, glob: boolean): string {
  if (!glob) return trimSlash(resolveDots(unescapeGlob(pattern)));
  const segments = pattern.split('/');
  const first = segments.findIndex((s) => hasGlob(s));
  const tail = segments.slice(first);
  // After a wildcard, `..` climbs out of whatever the wildcard matched, a symlink perhaps: it may be anywhere.
  if (/(^|[/{,])\.\.([/},]|$)/.test(tail.join('/'))) return '/**';
  const literal = unescapeGlob(segments.slice(0, first).join('/')) || '/';
  const base = resolveDots(literal);
  const rest = path.posix.normalize(tail.join('/'));
  return trimSlash(`${escapeGlob(base)}${base.endsWith('/') ? '' : '/'}${rest}`);
}

function trimSlash(p: string): string {
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}
