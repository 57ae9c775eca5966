import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod/mini';
import { checkPathAccess } from '../../guards/pathPolicy.js';
import { OUTPUT_CAP } from './spawnBash.js';
import { errorMessage } from '../../errors.js';
import type { ToolContext } from '../../guards/types.js';
import { failed, ok, type ToolDefinition } from './types.js';

const MAX_LINE = 2000;
const DEFAULT_LIMIT = 2000;
const MAX_READ_BYTES = 2_000_000;

/** The real path a file tool may touch, or the reason it may not (every file tool asks first). */
export function allowedPath(context: ToolContext, target: string, access: 'read' | 'write'): string | { refused: string } {
  const check = checkPathAccess(context, target, access);
  return check.ok ? check.path : { refused: check.reason };
}

function describeFsError(error: unknown, target: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `${target} does not exist`;
  if (code === 'EISDIR') return `${target} is a directory; use Glob to list it`;
  if (code === 'EACCES') return `${target} is not readable (permission denied)`;
  return `${target}: ${errorMessage(error)}`;
}

const ReadInput = z.object({
  file_path: z.string().check(z.minLength(1)),
  offset: z.optional(z.int().check(z.gte(0))),
  limit: z.optional(z.int().check(z.gte(1))),
});

export const readTool: ToolDefinition<z.infer<typeof ReadInput>> = {
  name: 'Read',
  description: `Reads a file of the worktree. Returns lines as \`cat -n\` does (line numbers from 1). \`offset\` is the first line to read, \`limit\` how many (default 2000); at most ${OUTPUT_CAP} characters come back, read on with \`offset\`.`,
  input: ReadInput,
  paths: (input) => [{ path: input.file_path, access: 'read' }],
  async run(input, context) {
    const real = allowedPath(context, input.file_path, 'read');
    if (typeof real !== 'string') return failed(real.refused);
    try {
      const info = await stat(real);
      if (info.isDirectory()) return failed(`${input.file_path} is a directory; use Glob to list it`);
      if (info.size > MAX_READ_BYTES && input.limit === undefined) {
        return failed(`${input.file_path} has ${info.size} bytes; read it in parts with offset and limit`);
      }
      const text = await readFile(real, 'utf8');
      if (text.length === 0) return ok(`${input.file_path} is empty`);
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      const start = Math.max(1, input.offset ?? 1);
      const end = Math.min(lines.length, start - 1 + (input.limit ?? DEFAULT_LIMIT));
      if (start > lines.length) return failed(`${input.file_path} has ${lines.length} lines; offset ${start} is past its end`);
      const out: string[] = [];
      // The whole answer is capped like Bash's output: whole lines up to the cap, then where to go on.
      let size = 0;
      let last = start - 1;
      for (let n = start; n <= end; n++) {
        const line = lines[n - 1]!;
        const shown = `${String(n).padStart(6)}\t${line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line}`;
        if (out.length > 0 && size + shown.length + 1 > OUTPUT_CAP) break;
        out.push(shown);
        size += shown.length + 1;
        last = n;
      }
      if (last < end) {
        out.push(`(output capped at ${OUTPUT_CAP} characters: showed lines ${start}-${last} of ${lines.length}; continue with offset ${last + 1}, or a smaller limit)`);
      } else if (end < lines.length) out.push(`(${lines.length - end} more lines; continue with offset ${end + 1})`);
      return ok(out.join('\n'));
    } catch (error) {
      return failed(describeFsError(error, input.file_path));
    }
  },
};

const WriteInput = z.object({ file_path: z.string().check(z.minLength(1)), content: z.string() });

export const writeTool: ToolDefinition<z.infer<typeof WriteInput>> = {
  name: 'Write',
  description: 'Writes a file of the worktree (creating folders as needed), replacing what it held.',
  input: WriteInput,
  paths: (input) => [{ path: input.file_path, access: 'write' }],
  async run(input, context) {
    const real = allowedPath(context, input.file_path, 'write');
    if (typeof real !== 'string') return failed(real.refused);
    try {
      await mkdir(path.dirname(real), { recursive: true });
      await writeFile(real, input.content);
      return ok(`wrote ${input.file_path} (${input.content.split('\n').length} lines)`);
    } catch (error) {
      return failed(describeFsError(error, input.file_path));
    }
  },
};

const EditInput = z.object({
  file_path: z.string().check(z.minLength(1)),
  old_string: z.string(),
  new_string: z.string(),
  replace_all: z.optional(z.boolean()),
});

export const editTool: ToolDefinition<z.infer<typeof EditInput>> = {
  name: 'Edit',
  description: 'Replaces `old_string` with `new_string` in a file of the worktree. `old_string` must occur exactly once unless `replace_all` is true.',
  input: EditInput,
  paths: (input) => [{ path: input.file_path, access: 'write' }],
  async run(input, context) {
    const real = allowedPath(context, input.file_path, 'write');
    if (typeof real !== 'string') return failed(real.refused);
    if (input.old_string === input.new_string) return failed('old_string and new_string are the same; nothing to change');
    let text: string;
    try {
      text = await readFile(real, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && input.old_string === '') {
        await mkdir(path.dirname(real), { recursive: true });
        await writeFile(real, input.new_string);
        return ok(`created ${input.file_path}`);
      }
      return failed(describeFsError(error, input.file_path));
    }
    if (input.old_string === '') return failed(`${input.file_path} exists; an empty old_string only creates new files`);
    const count = text.split(input.old_string).length - 1;
    if (count === 0) return failed(`old_string was not found in ${input.file_path}; Read the file and copy the text exactly`);
    if (count > 1 && !input.replace_all) {
      return failed(`old_string occurs ${count} times in ${input.file_path}; add context to make it unique, or set replace_all`);
    }
    const next = input.replace_all ? text.split(input.old_string).join(input.new_string) : text.replace(input.old_string, () => input.new_string);
    try {
      await writeFile(real, next);
    } catch (error) {
      return failed(describeFsError(error, input.file_path));
    }
    return ok(`edited ${input.file_path} (${input.replace_all ? count : 1} replacement${(input.replace_all ? count : 1) > 1 ? 's' : ''})`);
  },
};
