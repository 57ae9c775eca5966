import { realpathSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../workspace/packageRoot.js';

function real(file: string): string | null {
  try {
    return realpathSync(file);
  } catch {
    return null;
  }
}

function quoted(arg: string): string {
  return /^[\w./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * How the operator can run master again from where they are, for hints the
 * CLI prints: `master` when that name on PATH is this very program (after
 * `npm link` or a global install), `npx master` inside the clone (npx finds
 * the project's own bin there; outside it, npx would fetch an unrelated
 * package of that name), else `node /path/to/dist/master.js`.
 */
export function masterInvocation(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), script = process.argv[1] ?? ''): string {
  const self = real(script);
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && self && real(path.join(dir, 'master')) === self) return 'master';
  }
  try {
    const root = packageRoot();
    const inside = path.relative(root, path.resolve(cwd));
    if (!inside.startsWith('..') && !path.isAbsolute(inside)) return 'npx master';
  } catch {
    // not run from a package folder: fall through to the script's own path
  }
  return `node ${quoted(self ?? script)}`;
}
