import { existsSync } from 'node:fs';
import { isFolder, type SandboxPolicy } from './policy.js';
import { orderedMounts } from './mounts.js';

/**
 * bubblewrap arguments for a policy, then `argv`: the root bound read-only,
 * a fresh /dev, /proc and /dev/shm, its own pid namespace (nothing it starts
 * outlives it or sees master's processes), a new session (no terminal
 * injection), then each entry of the policy outermost first (see
 * `orderedMounts`). A hidden folder becomes an empty read-only tmpfs, a
 * hidden file /dev/null.
 */
export function bwrapArgs(policy: SandboxPolicy, argv: string[]): string[] {
  const args = ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/dev/shm', '--unshare-pid', '--die-with-parent', '--new-session'];
  for (const mount of orderedMounts(policy)) {
    if (!existsSync(mount.path)) continue;
    if (mount.kind === 'writable') args.push('--bind', mount.path, mount.path);
    else if (mount.kind === 'readOnly') args.push('--ro-bind', mount.path, mount.path);
    else if (isFolder(mount.path)) args.push('--perms', '0555', '--tmpfs', mount.path);
    else args.push('--ro-bind', '/dev/null', mount.path);
  }
  args.push('--chdir', policy.cwd, '--', ...argv);
  return args;
}
