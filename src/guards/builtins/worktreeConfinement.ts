import { tmpdir } from 'node:os';
import path from 'node:path';
import { globBase } from '../callInfo.js';
import { isInside, resolveReal } from '../pathPolicy.js';
import type { BuiltinEnv, GuardCheck } from './types.js';

const DEVICES = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty', '/dev/zero', '/dev/random', '/dev/urandom']);

/**
 * Worktree confinement: file tools touch only the confinement root (the
 * ticket's worktree; for `master guard`, the git top level of cwd), real
 * paths compared; a Bash command writes only there, in the temp folder, or in
 * the folders the hook file lists as `writable`.
 */
export function worktreeConfinement(env: BuiltinEnv): GuardCheck {
  const writable = [tmpdir(), ...(env.spec.writable ?? [])].map((p) => resolveReal(p, env.paths.home));
  const roots = new Map<string, string>();
  const home = resolveReal(env.paths.home, env.paths.home);
  return (call, context, info) => {
    if (info.kind === 'other') return null;
    let root = roots.get(context.root);
    if (root === undefined) {
      root = resolveReal(context.root, context.cwd);
      if (roots.size > 256) roots.clear();
      roots.set(context.root, root);
    }
    for (const touch of info.touches) {
      if (info.kind === 'bash' && touch.access !== 'write') continue;
      if (info.kind === 'bash' && (DEVICES.has(touch.path) || touch.path.startsWith('/dev/fd/') || touch.path.startsWith('/proc/self/fd/'))) continue;
      const real = touch.glob ? info.real(globBase(touch.path)) : info.real(touch.path);
      if (isInside(real, root)) continue;
      // The temp folder is writable, but never the workspace itself (a workspace may live in the temp folder).
      if (info.kind === 'bash' && !isInside(real, home) && writable.some((w) => isInside(real, w))) continue;
      const shown = touch.glob ? touch.path : path.relative(context.cwd, touch.path) || '.';
      return info.kind === 'bash'
        ? `this command writes ${shown} (${touch.by}), which resolves to ${real}, outside the worktree ${root}; write only inside the worktree`
        : `${shown} resolves to ${real}, outside the worktree ${root}; ${call.name} may only touch files inside it`;
    }
    return null;
  };
}
