import path from 'node:path';
import type { ToolCall, ToolContext } from './types.js';
import { absoluteOf, realPath, resolveDots } from './realPath.js';
import { analyzeShell, type Access, type CommandUse } from './shell/analyze.js';
import { hasGlob, unescapeGlob } from './glob.js';

/**
 * What a tool call touches, computed once per call and shared by every
 * built-in guard: the paths of file tools (with Claude Code's input fields)
 * and, for Bash, the analysis of its command. Tools the built-ins do not know
 * touch nothing as far as they can tell.
 */

export interface PathTouch {
  /** Absolute and normalized; an escaped glob pattern when `glob`. */
  path: string;
  glob: boolean;
  access: Access;
  /** A folder whose contents the tool reads (Glob, Grep, LS). */
  scope: boolean;
  /** The program (Bash) or tool that touches it. */
  by: string;
  /** Why a static reading cannot tell which file it is (a `/**` touch of Bash): the real reason a refusal gives. */
  unknown?: string;
}

export interface CallInfo {
  kind: 'file' | 'bash' | 'other';
  touches: PathTouch[];
  commands: CommandUse[];
  /** Variables the Bash command sets or exports (see ShellAnalysis.assigned). */
  assigned: string[];
  /** The Bash command as given. */
  command: string;
  /** Set when the Bash analysis stopped at its budget: the touches are incomplete, and the call is refused. */
  overBudget?: string;
  /** Real path (symlinks followed) of a literal path, memoized. */
  real(p: string): string;
}

const READ_TOOLS: Record<string, string[]> = { Read: ['file_path'], NotebookRead: ['notebook_path'] };
const WRITE_TOOLS: Record<string, string[]> = {
  Write: ['file_path'],
  Edit: ['file_path'],
  MultiEdit: ['file_path'],
  NotebookEdit: ['notebook_path'],
};
const SCOPE_TOOLS: Record<string, string[]> = { Glob: ['path'], Grep: ['path'], LS: ['path'] };

/** Every tool name the built-in guards read paths from. */
export const KNOWN_TOOLS = new Set(['Bash', ...Object.keys(READ_TOOLS), ...Object.keys(WRITE_TOOLS), ...Object.keys(SCOPE_TOOLS)]);
export const WRITE_TOOL_NAMES = new Set(Object.keys(WRITE_TOOLS));

const cache = new WeakMap<ToolCall, { context: ToolContext; info: CallInfo }>();

/** The touches of a call in a context (memoized per call object). */
export function callInfo(call: ToolCall, context: ToolContext): CallInfo {
  const hit = cache.get(call);
  if (hit && hit.context === context) return hit.info;
  const info = compute(call, context);
  cache.set(call, { context, info });
  return info;
}

function compute(call: ToolCall, context: ToolContext): CallInfo {
  const reals = new Map<string, string>();
  const real = (p: string) => {
    let r = reals.get(p);
    if (r === undefined) reals.set(p, (r = realPath(p, context.cwd)));
    return r;
  };
  const info: CallInfo = { kind: 'other', touches: [], commands: [], assigned: [], command: '', real };
  const input = call.input ?? {};
  const add = (fields: string[] | undefined, access: Access, scope: boolean) => {
    for (const field of fields ?? []) {
      const value = input[field];
      if (typeof value !== 'string' && !(scope && value === undefined)) continue;
      const target = typeof value === 'string' && value !== '' ? value : '.';
      // `..` resolved as the OS does: `up/../state.json` is beside where `up` points, not in the worktree.
      info.touches.push({ path: resolveDots(absoluteOf(target, context.cwd)), glob: false, access, scope, by: call.name });
    }
  };
  if (call.name === 'Bash') {
    info.kind = 'bash';
    info.command = typeof input.command === 'string' ? input.command : '';
    const analysis = analyzeShell(info.command, { cwd: context.cwd });
    info.commands = analysis.commands;
    info.assigned = analysis.assigned;
    if (analysis.overBudget) info.overBudget = analysis.overBudget;
    // The same path can come out of many words and folders: each is checked once.
    const seen = new Set<string>();
    for (const p of analysis.paths) {
      const key = `${p.access}\0${p.program}\0${p.glob}\0${p.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      info.touches.push({ path: p.path, glob: p.glob, access: p.access, scope: false, by: p.program, ...(p.unknown ? { unknown: p.unknown } : {}) });
    }
    return info;
  }
  if (READ_TOOLS[call.name] || WRITE_TOOLS[call.name] || SCOPE_TOOLS[call.name]) info.kind = 'file';
  add(READ_TOOLS[call.name], 'read', false);
  add(WRITE_TOOLS[call.name], 'write', false);
  add(SCOPE_TOOLS[call.name], 'read', true);
  if (call.name === 'Glob' && typeof input.pattern === 'string' && (input.pattern.startsWith('/') || input.pattern.includes('..'))) {
    // A Glob pattern can itself leave the folder: `../../other/**`, `/abs/**`.
    const base = typeof input.path === 'string' && input.path ? resolveDots(absoluteOf(input.path, context.cwd)) : context.cwd;
    info.touches.push({ path: globPath(input.pattern.startsWith('/') ? input.pattern : `${base}/${input.pattern}`), glob: true, access: 'read', scope: false, by: call.name });
  }
  return info;
}

/** An absolute glob with `..` resolved as the OS would in its literal part; after a wildcard, `..` may lead anywhere. */
function globPath(pattern: string): string {
  const segments = pattern.split('/');
  const first = segments.findIndex((s) => hasGlob(s));
  if (first === -1) return resolveDots(pattern);
  const tail = segments.slice(first);
  if (/(^|[/{,])\.\.([/},]|$)/.test(tail.join('/'))) return '/**';
  const base = resolveDots(segments.slice(0, first).join('/') || '/');
  return `${base.endsWith('/') ? base : `${base}/`}${path.posix.normalize(tail.join('/'))}`;
}

/** The literal part of a glob before its first wildcard segment: the folder it starts in. */
export function globBase(pattern: string): string {
  const segments = pattern.split('/');
  const literal: string[] = [];
  for (const segment of segments) {
    if (/(^|[^\\])[*?[{]/.test(segment)) break;
    literal.push(segment);
  }
  return unescapeGlob(literal.join('/')) || '/';
}
