import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod/mini';
import type { ToolContext } from '../../guards/types.js';
import { allowedPath } from './files.js';
import { globMatch } from './globMatch.js';
import { failed, ok, type ToolDefinition } from './types.js';

const SKIP_DIRS = new Set(['.git', 'node_modules']);
const MAX_FILES = 50_000;
const MAX_GLOB_RESULTS = 100;
const MAX_GREP_FILE = 1_000_000;

/**
 * Files under `dir` as paths relative to it. Symlinks are followed only when
 * the path policy allows their target, so a link cannot lead a search out.
 */
async function walk(context: ToolContext, dir: string): Promise<string[]> {
  const out: string[] = [];
  const stack: string[] = [''];
  while (stack.length > 0 && out.length < MAX_FILES) {
    const relative = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(dir, relative), { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) stack.push(child);
      } else if (entry.isFile()) out.push(child);
      else if (entry.isSymbolicLink()) {
        const real = allowedPath(context, path.join(dir, child), 'read');
        if (typeof real !== 'string') continue;
        try {
          if ((await stat(real)).isFile()) out.push(child);
        } catch {
          // a dangling link: nothing to find there
        }
      }
    }
  }
  return out;
}

function searchRoot(context: ToolContext, target: string | undefined): string | { refused: string } {
  return allowedPath(context, target ?? context.cwd, 'read');
}

const GlobInput = z.object({ pattern: z.string().check(z.minLength(1)), path: z.optional(z.string()) });

export const globTool: ToolDefinition<z.infer<typeof GlobInput>> = {
  name: 'Glob',
  description: 'Finds files by glob pattern (`**/*.ts`, `src/{a,b}/*.js`) under `path` (default: the worktree), newest first, at most 100.',
  input: GlobInput,
  paths: (input, context) => [{ path: input.path ?? context.cwd, access: 'read' }],
  async run(input, context) {
    const root = searchRoot(context, input.path);
    if (typeof root !== 'string') return failed(root.refused);
    const pattern = input.pattern.replace(/^\.\//, '');
    const files = (await walk(context, root)).filter((file) => globMatch(pattern, file));
    if (files.length === 0) return ok('no files found');
    const dated = await Promise.all(files.map(async (file) => ({ file, mtime: (await stat(path.join(root, file)).catch(() => null))?.mtimeMs ?? 0 })));
    dated.sort((a, b) => b.mtime - a.mtime || a.file.localeCompare(b.file));
    const shown = dated.slice(0, MAX_GLOB_RESULTS).map((d) => path.join(root, d.file));
    if (dated.length > shown.length) shown.push(`(${dated.length - shown.length} more; narrow the pattern)`);
    return ok(shown.join('\n'));
  },
};

const GrepInput = z.object({
  pattern: z.string().check(z.minLength(1)),
  path: z.optional(z.string()),
  glob: z.optional(z.string()),
  output_mode: z.optional(z.enum(['content', 'files_with_matches', 'count'])),
  '-i': z.optional(z.boolean()),
  '-n': z.optional(z.boolean()),
  '-A': z.optional(z.int().check(z.gte(0))),
  '-B': z.optional(z.int().check(z.gte(0))),
  '-C': z.optional(z.int().check(z.gte(0))),
  head_limit: z.optional(z.int().check(z.gte(1))),
});

export const grepTool: ToolDefinition<z.infer<typeof GrepInput>> = {
  name: 'Grep',
  description: 'Searches file contents with a regular expression under `path` (default: the worktree). `glob` filters files; `output_mode` is files_with_matches (default), content or count.',
  input: GrepInput,
  paths: (input, context) => [{ path: input.path ?? context.cwd, access: 'read' }],
  async run(input, context) {
    const root = searchRoot(context, input.path);
    if (typeof root !== 'string') return failed(root.refused);
    let regex: RegExp;
    try {
      regex = new RegExp(input.pattern, input['-i'] ? 'i' : '');
    } catch (error) {
      return failed(`invalid regular expression: ${(error as Error).message}`);
    }
    const info = await stat(root).catch(() => null);
    if (!info) return failed(`${input.path ?? root} does not exist`);
    const files = info.isFile() ? [''] : await walk(context, root);
    const mode = input.output_mode ?? 'files_with_matches';
    const before = input['-B'] ?? input['-C'] ?? 0;
    const after = input['-A'] ?? input['-C'] ?? 0;
    const limit = input.head_limit ?? 500;
    const out: string[] = [];
    for (const file of files.sort()) {
      if (out.length >= limit) break;
      if (input.glob && file && !globMatch(input.glob, file) && !globMatch(input.glob, path.basename(file))) continue;
      const full = file ? path.join(root, file) : root;
      const size = (await stat(full).catch(() => null))?.size ?? 0;
      if (size > MAX_GREP_FILE) continue;
      const text = await readFile(full, 'utf8').catch(() => null);
      if (text === null || text.includes('\u0000')) continue;
      const lines = text.split('\n');
      const hits: number[] = [];
      lines.forEach((line, i) => {
        if (regex.test(line)) hits.push(i);
      });
      if (hits.length === 0) continue;
      if (mode === 'files_with_matches') out.push(full);
      else if (mode === 'count') out.push(`${full}:${hits.length}`);
      else {
        const shown = new Set<number>();
        for (const hit of hits) for (let i = Math.max(0, hit - before); i <= Math.min(lines.length - 1, hit + after); i++) shown.add(i);
        for (const i of [...shown].sort((a, b) => a - b)) {
          if (out.length >= limit) break;
          out.push(`${full}:${input['-n'] === false ? '' : `${i + 1}:`}${lines[i]}`);
        }
      }
    }
    return ok(out.length ? out.join('\n') : 'no matches');
  },
};
