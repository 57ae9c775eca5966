import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import path from 'node:path';

/**
 * `resolveReal` of the path policy, made cheap for the guard chain: the
 * system's realpath, and a missing tail found without throwing (an exception
 * per missing file costs more than the whole chain should).
 *
 * `..` is resolved the way the OS does, not lexically: `link/..` is the
 * parent of where `link` points, not the folder holding `link` (see
 * `resolveDots`).
 */
export function realPath(target: string, cwd: string): string {
  return realOf(resolveDots(absoluteOf(target, cwd)), 0);
}

/** `target` made absolute against `cwd` (`~` expanded), without normalizing anything yet. */
export function absoluteOf(target: string, cwd: string): string {
  const expanded = target === '~' || target.startsWith('~/') ? (process.env.HOME ?? '/') + target.slice(1) : target;
  if (path.isAbsolute(expanded)) return expanded;
  const base = path.isAbsolute(cwd) ? cwd : `${process.cwd()}/${cwd}`;
  return `${base}/${expanded}`;
}

const DOTDOT = /(^|\/)\.\.(\/|$)/;

/**
 * An absolute path with its `.`, `..` and repeated slashes resolved as the OS
 * resolves them: a `..` after a prefix that exists takes the parent of that
 * prefix's real path (symlinks followed), so `up/../x`, with `up` a link to
 * `../..`, is `x` beside the folder `up` points to. Where a prefix does not
 * exist yet, `..` cancels lexically (nothing there can redirect it). Segments
 * are kept as spelled (not made real) wherever no `..` follows a symlink.
 * `isLiteral` says, per segment, whether it may be looked up on disk (a glob
 * segment may not; after one, `..` cancels lexically and the caller decides).
 */
export function resolveDots(absolute: string, isLiteral: (segment: string) => boolean = () => true): string {
  if (!DOTDOT.test(absolute)) return path.resolve(absolute);
  let current = '/';
  let onDisk = true;
  for (const segment of absolute.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (onDisk && current !== '/') {
        const real = realOrNull(current);
        if (real !== null && real !== current) {
          current = path.dirname(real);
          continue;
        }
        if (real === null && exists(current)) {
          // A dangling link or a loop: the OS cannot go through it; judge by where it points.
          current = path.dirname(realOf(current, 0));
          continue;
        }
      }
      current = path.dirname(current);
      if (!onDisk && exists(current)) onDisk = true;
      continue;
    }
    current = current === '/' ? `/${segment}` : `${current}/${segment}`;
    if (onDisk && (!isLiteral(segment) || !exists(current))) onDisk = false;
  }
  return current;
}

function realOrNull(file: string): string | null {
  try {
    return realpathSync.native(file);
  } catch {
    return null;
  }
}

/** Real path of a `..`-free absolute path; `depth` bounds dangling-link chains. */
function realOf(absolute: string, depth: number): string {
  let existing = absolute;
  const rest: string[] = [];
  while (!exists(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) return absolute;
    rest.push(path.basename(existing));
    existing = parent;
  }
  let real = realOrNull(existing);
  if (real === null) {
    const parent = path.dirname(existing);
    const folder = parent === existing ? existing : realOf(parent, depth);
    real = path.join(folder, path.basename(existing));
    // A dangling symlink: writing through it creates its target, so it is judged by where it points.
    let target: string | null = null;
    try {
      target = readlinkSync(existing);
    } catch {
      target = null;
    }
    if (target !== null && depth < 40) real = realOf(resolveDots(absoluteOf(target, folder)), depth + 1);
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
