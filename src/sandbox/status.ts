import { spawnSync } from 'node:child_process';
import type { Registry } from '../registry/schema.js';
import { SANDBOX_OFF_NOTE, sandboxOff } from './setting.js';

export type SandboxStatus = { available: true; via: 'bubblewrap' | 'sandbox-exec' } | { available: false; reason: string };

let probed: SandboxStatus | undefined;

/** Runs the probe command; its first stderr line explains a failure. */
function probe(file: string, args: string[], name: string): SandboxStatus {
  const result = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    return { available: false, reason: code === 'ENOENT' ? `${name} is not installed` : `${name} cannot start (${code ?? result.error.message})` };
  }
  if (result.status !== 0) {
    const stderr = result.stderr.toString().trim().split('\n')[0] ?? '';
    return { available: false, reason: `${name} does not work here (${stderr || `exit ${result.status}`})${file === 'bwrap' ? '; user namespaces may be restricted' : ''}` };
  }
  return { available: true, via: file === 'bwrap' ? 'bubblewrap' : 'sandbox-exec' };
}

/**
 * Whether the OS sandbox works here, probed once per process with the same
 * kind of profile commands get: bubblewrap on Linux (user namespaces may be
 * off), `sandbox-exec` on macOS.
 */
export function sandboxStatus(): SandboxStatus {
  if (probed) return probed;
  if (process.platform === 'linux') {
    probed = probe('bwrap', ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-pid', '--die-with-parent', '--new-session', 'true'], 'bubblewrap (bwrap)');
  } else if (process.platform === 'darwin') {
    probed = probe('sandbox-exec', ['-p', '(version 1)(allow default)(deny file-write*)', 'true'], 'sandbox-exec');
  } else probed = { available: false, reason: `no OS sandbox on ${process.platform}` };
  return probed;
}

/** Forgets the probe (tests that change PATH). */
export function resetSandboxProbe(): void {
  probed = undefined;
}

export type SandboxReadiness = { ok: true; sandboxed: boolean; label: string } | { ok: false; reason: string };

/**
 * Whether commands may run for this workspace: in the sandbox, or unconfined
 * because the operator said `"sandbox": "off"`; otherwise not at all (no
 * sandbox, no agents), with the reason and the two ways out.
 */
export function sandboxReadiness(registry: Pick<Registry, 'sandbox'>): SandboxReadiness {
  if (sandboxOff(registry)) return { ok: true, sandboxed: false, label: SANDBOX_OFF_NOTE };
  const status = sandboxStatus();
  if (status.available) return { ok: true, sandboxed: true, label: status.via };
  return {
    ok: false,
    reason: `no OS sandbox: ${status.reason}; agent, script and check commands wait until it works (install bubblewrap, allow user namespaces) or registry.json says "sandbox": "off" to run them unconfined at your own risk`,
  };
}
