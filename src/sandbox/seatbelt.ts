import type { SandboxPolicy } from './policy.js';
import { orderedMounts } from './mounts.js';

/** A string literal of the sandbox profile language. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The macOS `sandbox-exec` profile for a policy: everything readable, no
 * write anywhere but the writable entries, read-only entries denied writes
 * again inside them, hidden ones neither readable nor writable. In this
 * language a later rule wins over an earlier one, so the entries come
 * outermost first, as for bubblewrap. Process and network rules stay open:
 * the wall is the file system.
 */
export function seatbeltProfile(policy: SandboxPolicy): string {
  const lines = ['(version 1)', '(allow default)', '(deny file-write*)', '(allow file-write* (literal "/dev/null") (literal "/dev/tty") (regex #"^/dev/fd/"))'];
  for (const mount of orderedMounts(policy)) {
    const subpath = `(subpath ${quote(mount.path)})`;
    if (mount.kind === 'writable') lines.push(`(allow file-write* ${subpath})`);
    else if (mount.kind === 'readOnly') lines.push(`(deny file-write* ${subpath})`);
    else lines.push(`(deny file-read* file-write* ${subpath})`);
  }
  return `${lines.join('\n')}\n`;
}

/** The argv that runs `argv` under a profile on macOS. */
export function seatbeltArgs(policy: SandboxPolicy, argv: string[]): string[] {
  return ['-p', seatbeltProfile(policy), ...argv];
}
