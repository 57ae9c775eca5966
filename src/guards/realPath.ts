import { lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * `resolveReal` of the path policy, made cheap for the guard chain: the
 * system's realpath, and a missing tail found without throwing (an exception
 * per missing file costs more than the whole chain should).
 */
export function realPath(target: string, cwd: string): string {
  const expanded = target === '~' || target.startsWith('~/') ? path.join(process.env.HOME ?? '/', target.slice(1)) : target;
  const absolute = path.resolve(cwd, expanded);
  let existing = absolute;
  const rest: string[] = [];
  while (!exists(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) return absolute;
    rest.push(path.basename(existing));
    existing = parent;
  }
  let real: string;
  try {
    real = realpathSync.native(existing);
  } catch {
    // A dangling symlink or a loop: judge it by its folder, as the path policy always has.
    const parent = path.dirname(existing);
    real = parent === existing ? existing : path.join(realPath(parent, '/'), path.basename(existing));
  }
  return rest.length ? path.join(real, ...rest.reverse()) : real;
}

function exists(file: string): boolean {
  try {
    return lstatSync(file, { throwIfNoEntry: false }) !== undefined;
  } catch {
    // ENOTDIR (a path through a file, like a worktree's `.git`), EACCES: nothing to follow there.
    return false;
  }
}
