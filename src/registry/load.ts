import { readFileSync } from 'node:fs';
import path from 'node:path';
import type * as z from 'zod/mini';
import { FileProblemsError, UserError } from '../errors.js';
import { RegistrySchema, type Brand, type Registry, type Repo } from './schema.js';

/** A registry file that is missing, unparsable or invalid; the message names file, field path, expected and found. */
export class RegistryError extends FileProblemsError {
  constructor(file: string, problems: string[]) {
    super(file, problems);
    this.name = 'RegistryError';
  }
}

/**
 * `brands["umano"].repos["umano-events"].mainBranch` from a zod path and the
 * data it points into: an array item is named by its `id` (what the operator
 * searches the file for), by its index only when it has no id of its own or
 * shares it with another item.
 */
export function formatPath(segments: readonly PropertyKey[], data?: unknown): string {
  let out = '';
  let at: unknown = data;
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${itemName(at, segment)}]`;
    else out += out ? `.${String(segment)}` : String(segment);
    at = at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[segment as never] : undefined;
  }
  return out || '(top level)';
}

function itemName(list: unknown, index: number): string {
  if (!Array.isArray(list)) return String(index);
  const id = (list[index] as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string' || !id) return String(index);
  const same = list.filter((item) => (item as { id?: unknown } | null)?.id === id).length;
  return same === 1 ? JSON.stringify(id) : String(index);
}

/** "line 3, column 14: ..." for a JSON.parse error, the position computed from the offset V8 reports. */
export function describeJsonError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = / in JSON at position (\d+)/.exec(message);
  const offset = match ? Number(match[1]) : /end of JSON input/.test(message) ? text.length : null;
  const what = message.replace(/ in JSON at position \d+.*$/, '').replace(/^Unexpected end of JSON input$/, 'the file ends too early (a bracket or quote is not closed)');
  if (offset === null) return `not valid JSON: ${what}`;
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `not valid JSON at line ${line}, column ${column}: ${what}`;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array (${value.length} items)`;
  if (typeof value === 'object') return 'an object';
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function describeIssue(issue: z.core.$ZodIssue, data?: unknown): string {
  const where = formatPath(issue.path, data);
  const found = 'input' in issue ? describeValue(issue.input) : undefined;
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${where}: unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
    case 'invalid_type':
      return `${where}: expected ${issue.expected}, found ${found}`;
    case 'invalid_value':
      return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${found}`;
    case 'invalid_key':
      return `${where}: ${issue.message}`;
    case 'custom':
      // Cross-field problems (duplicates) carry their own sentence; refinements of a value say what was found.
      return !issue.params?.plain && found !== undefined && issue.input !== undefined ? `${where}: expected ${issue.message}, found ${found}` : `${where}: ${issue.message}`;
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? 'at least' : 'more than') : issue.inclusive ? 'at most' : 'less than';
      const unit = issue.origin === 'string' ? ' characters' : issue.origin === 'array' ? ' items' : '';
      return `${where}: expected ${issue.origin === 'number' ? 'a number ' : ''}${op} ${String(bound)}${unit}, found ${found}`;
    }
    case 'invalid_format':
      return `${where}: expected ${issue.message.replace(/^Invalid string: /, '')}, found ${found}`;
    default:
      return `${where}: expected ${issue.message.replace(/^Invalid input: /i, '')}${found !== undefined ? `, found ${found}` : ''}`;
  }
}

function flattenIssues(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const out: z.core.$ZodIssue[] = [];
  for (const issue of issues) {
    if (issue.code === 'invalid_key' && issue.issues.length > 0) {
      out.push({ ...issue, message: `key ${describeIssue({ ...issue.issues[0]!, path: [] } as z.core.$ZodIssue).replace(/^\(top level\): /, '')}` });
    } else out.push(issue);
  }
  return out;
}

/** Validates parsed JSON as a registry, throwing a RegistryError that lists every problem. */
export function parseRegistry(data: unknown, file: string): Registry {
  const result = RegistrySchema.safeParse(data, { reportInput: true });
  if (result.success) return result.data;
  throw new RegistryError(
    file,
    flattenIssues(result.error.issues).map((issue) => describeIssue(issue, data)),
  );
}

/** Reads and validates a registry file. */
export function loadRegistryFile(file: string): Registry {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new RegistryError(file, [
        'no registry here; run `master init` to create a workspace, run the command inside one (any folder below a registry.json), or pass --home DIR (or set MASTER_HOME)',
      ]);
    }
    throw new RegistryError(file, [`cannot read the file (${code ?? String(error)})`]);
  }
  // Editors on some systems save JSON with a UTF-8 byte order mark; it is not part of the content.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new RegistryError(file, [describeJsonError(text, error)]);
  }
  return parseRegistry(data, file);
}

/** The brand with this id, or a UserError listing the known ones. */
export function findBrand(registry: Registry, id: string): Brand {
  const brand = registry.brands.find((b) => b.id === id);
  if (!brand) {
    const known = registry.brands.map((b) => b.id).join(', ') || '(none: add brands to registry.json)';
    throw new UserError(`unknown brand "${id}"; known brands: ${known}`);
  }
  return brand;
}

/** The repo with this id in the brand, or a UserError listing the brand's repos. */
export function findRepo(brand: Brand, id: string): Repo {
  const repo = brand.repos.find((r) => r.id === id);
  if (!repo) {
    const known = brand.repos.map((r) => r.id).join(', ') || '(none)';
    throw new UserError(`unknown repo "${id}" in brand "${brand.id}"; its repos: ${known}`);
  }
  return repo;
}

/** A repo's checkout path, resolved against the workspace home. */
export function repoPath(home: string, repo: Repo): string {
  return path.resolve(home, repo.path);
}

/** Every repo of every brand, with its brand. */
export function allRepos(registry: Registry): Array<{ brand: Brand; repo: Repo }> {
  return registry.brands.flatMap((brand) => brand.repos.map((repo) => ({ brand, repo })));
}
