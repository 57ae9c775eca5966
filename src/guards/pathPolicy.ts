import path from 'node:path';
import type { ToolContext } from './types.js';
import { realPath } from './realPath.js';
import { siloPathCheck } from './silo/runtimeCheck.js';

export type Access = 'read' | 'write';

/**
 * Resolves a path as the OS would: relative to the cwd, `~` expanded, symlinks
 * followed for the part that exists (a file not yet written resolves through
 * its nearest existing parent).
 */
export function resolveReal(target: string, cwd: string): string {
  // The implementation lives beside the guards: it must not throw per missing file (see realPath.ts).
  return realPath(target, cwd);
}

export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The runtime check every file tool makes before it touches a path: the real
 * path must be inside the confinement root, and the silo check (layer 4) must
 * not refuse it: both always run, nothing has to be installed first. Returns
 * the real path, or the reason it is refused.
 */
export function checkPathAccess(context: ToolContext, target: string, access: Access): { ok: true; path: string } | { ok: false; reason: string } {
  const real = resolveReal(target, context.cwd);
  const root = resolveReal(context.root, context.cwd);
  if (!isInside(real, root)) {
    return { ok: false, reason: `${target} resolves to ${real}, outside the worktree ${root}; tools may only touch files inside it` };
  }
  const reason = siloPathCheck(context, real, access);
  if (reason) return { ok: false, reason };
  return { ok: true, path: real };
}
