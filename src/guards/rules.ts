import path from 'node:path';
import type { ToolCall, ToolContext } from './types.js';
import { callInfo, WRITE_TOOL_NAMES, type CallInfo, type PathTouch } from './callInfo.js';
import { globOverlap, globSource, globToRegExp, hasGlob, unescapeGlob } from './glob.js';

/**
 * Permission rules in Claude Code's syntax: `Tool` (every call), `Bash(git
 * push:*)` (prefix), `Bash(npm run *)` (wildcards), `Read(./secrets/**)`,
 * `Edit(~/x)`, `Write(//abs/**)`, `WebFetch(domain:x)`, `mcp__server`.
 * Paths: `//p` absolute, `~/p` home, `/p` the project root (the confinement
 * root), `./p` or `p` the cwd; a pattern without `/` matches at any depth.
 * Unlike Claude Code, Read and Edit/Write rules also see the paths a Bash
 * command reads and writes, as far as a static reading finds them.
 */

export interface CompiledRule {
  text: string;
  /** Whether the rule applies to (denies) this call. */
  matches(call: ToolCall, context: ToolContext, info?: CallInfo): boolean;
}

const READERS = new Set(['Read', 'NotebookRead', 'Glob', 'Grep', 'LS']);
const RULE = /^([A-Za-z0-9_*.-]+)(?:\(([\s\S]*)\))?$/;

/** Compiles a rule; throws an Error that says what is wrong with it. */
export function compileRule(text: string): CompiledRule {
  const m = RULE.exec(text.trim());
  if (!m) throw new Error(`rule ${JSON.stringify(text)} is not \`Tool\` or \`Tool(specifier)\``);
  const tool = m[1]!;
  const spec = m[2];
  const toolMatches = toolNameMatcher(tool);
  if (spec === undefined || spec === '' || spec === '*') {
    return { text, matches: (call) => toolMatches(call.name) };
  }
  if (tool === 'Read' || tool === 'Edit' || tool === 'Write') return pathRule(text, tool, spec);
  if (tool === 'Bash') return bashRule(text, spec);
  if (tool === 'WebFetch' && spec.startsWith('domain:')) {
    const domain = spec.slice('domain:'.length).toLowerCase();
    return {
      text,
      matches: (call) => {
        if (call.name !== 'WebFetch' || typeof call.input.url !== 'string') return false;
        try {
          const host = new URL(call.input.url).hostname.toLowerCase();
          return host === domain || host.endsWith(`.${domain}`);
        } catch {
          return true;
        }
      },
    };
  }
  // Any other tool: the specifier as a glob against the input's string values.
  const re = globToRegExp(spec);
  return {
    text,
    matches: (call) => toolMatches(call.name) && Object.values(call.input).some((v) => typeof v === 'string' && re.test(v)),
  };
}

function toolNameMatcher(tool: string): (name: string) => boolean {
  if (tool.endsWith('*')) {
    const prefix = tool.slice(0, -1);
    return (name) => name.startsWith(prefix);
  }
  // `mcp__server` names every tool of that server.
  if (/^mcp__[^_]+(?:_[^_]+)*$/.test(tool) && tool.split('__').length === 2) return (name) => name === tool || name.startsWith(`${tool}__`);
  return (name) => name === tool;
}

function bashRule(text: string, spec: string): CompiledRule {
  let source: string;
  if (spec.endsWith(':*')) source = `^${escapeRegExp(spec.slice(0, -2))}.*$`;
  else source = `^${spec.split('*').map(escapeRegExp).join('.*')}$`;
  const re = new RegExp(source, 's');
  return {
    text,
    matches: (call, context, info) => {
      if (call.name !== 'Bash') return false;
      const read = info ?? callInfo(call, context);
      if (re.test(read.command.trim())) return true;
      return read.commands.some((c) => commandForms(c.argv).some((form) => re.test(form)));
    },
  };
}

/** A simple command as rules see it: as written, and for git without its global options (`git -C x push` is `git push`). */
export function commandForms(argv: string[]): string[] {
  const forms = [argv.join(' ')];
  if (path.basename(argv[0] ?? '') === 'git') forms.push(['git', ...gitSubcommand(argv)].join(' '));
  return forms;
}

/** git's argv from the subcommand on, global options (`-C dir`, `-c k=v`, `--git-dir=x`, ...) skipped. */
export function gitSubcommand(argv: string[]): string[] {
  let i = 1;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '-C' || a === '-c' || a === '--git-dir' || a === '--work-tree' || a === '--namespace' || a === '--exec-path' || a === '--config-env') i += 2;
    else if (a.startsWith('-')) i += 1;
    else break;
  }
  return argv.slice(i);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function pathRule(text: string, tool: 'Read' | 'Edit' | 'Write', spec: string): CompiledRule {
  const forTool = tool === 'Read' ? (name: string) => READERS.has(name) : (name: string) => WRITE_TOOL_NAMES.has(name);
  const access = tool === 'Read' ? 'read' : 'write';
  const regexes = new Map<string, { re: RegExp; base: string; simple: boolean }>();
  const compiled = (context: ToolContext) => {
    const key = `${context.root}\0${context.cwd}`;
    let hit = regexes.get(key);
    if (!hit) {
      const pattern = absolutePattern(spec, context);
      const base = staticBase(pattern);
      hit = { re: new RegExp(`^${globSource(pattern)}$`), base, simple: /^(\/\*\*)?$/.test(pattern.slice(base.length)) };
      if (regexes.size > 64) regexes.clear();
      regexes.set(key, hit);
    }
    return hit;
  };
  return {
    text,
    matches: (call, context, info) => {
      if (call.name !== 'Bash' && !forTool(call.name)) return false;
      const read = info ?? callInfo(call, context);
      const rule = compiled(context);
      return read.touches.some((t) => (call.name === 'Bash' ? t.access === access : true) && touchMatches(t, rule, read));
    },
  };
}

function touchMatches(touch: PathTouch, rule: { re: RegExp; base: string; simple: boolean }, info: CallInfo): boolean {
  if (touch.glob) {
    // Glob against glob: a rule on a whole folder is hit when the glob may reach into it; otherwise compare the texts.
    if (rule.simple) return globOverlap(touch.path, rule.base) === 'inside';
    return rule.re.test(unescapeGlob(touch.path));
  }
  for (const candidate of [touch.path, info.real(touch.path)]) {
    if (rule.re.test(candidate)) return true;
    if (touch.scope && rule.re.test(`${candidate}/x`)) return true;
  }
  return false;
}

/** A rule's path as an absolute glob for this context. */
function absolutePattern(spec: string, context: ToolContext): string {
  const home = process.env.HOME ?? '/';
  let pattern: string;
  if (spec.startsWith('//')) pattern = spec.slice(1);
  else if (spec === '~' || spec.startsWith('~/')) pattern = home + spec.slice(1);
  else if (spec.startsWith('/')) pattern = context.root + spec;
  else {
    const relative = spec.startsWith('./') ? spec.slice(2) : spec;
    // A bare name (`*.env`) matches at any depth, as in .gitignore; `./x` only here.
    const anyDepth = !spec.startsWith('./') && !relative.replace(/\/$/, '').includes('/');
    pattern = `${context.cwd}/${anyDepth ? '**/' : ''}${relative}`;
  }
  if (pattern.endsWith('/')) pattern += '**';
  return path.posix.normalize(pattern);
}

function staticBase(pattern: string): string {
  const segments = pattern.split('/');
  const literal: string[] = [];
  for (const segment of segments) {
    if (hasGlob(segment)) break;
    literal.push(segment);
  }
  return literal.join('/') || '/';
}
