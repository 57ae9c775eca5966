import type { ToolContext } from '../guards/types.js';
import { bwrapArgs } from './bwrap.js';
import { buildPolicy, type PolicyExtras } from './policy.js';
import { seatbeltArgs } from './seatbelt.js';
import { sandboxReadiness } from './status.js';

export { buildPolicy, privateTempDir, removePrivateTemp, worktreeAdminDir, type PolicyExtras, type SandboxPolicy } from './policy.js';
export { bwrapArgs } from './bwrap.js';
export { seatbeltProfile, seatbeltArgs } from './seatbelt.js';
export { orderedMounts, type Mount } from './mounts.js';
export { sandboxStatus, resetSandboxProbe, sandboxReadiness, type SandboxStatus, type SandboxReadiness } from './status.js';
export { sandboxOff, SANDBOX_OFF_NOTE, settingWritable, settingHidden } from './setting.js';

export type Launch = { ok: true; file: string; args: string[]; env: Record<string, string>; sandboxed: boolean } | { ok: false; reason: string };

/**
 * How a command (`argv`, e.g. `bash -c …`) this caller starts is launched:
 * inside the OS sandbox built for it, or unconfined when the operator turned
 * the sandbox off, or not at all when the sandbox cannot run here.
 */
export function sandboxLaunch(context: ToolContext, argv: string[], extras: PolicyExtras = {}): Launch {
  const readiness = sandboxReadiness(context.registry);
  if (!readiness.ok) return { ok: false, reason: readiness.reason };
  if (!readiness.sandboxed) return { ok: true, file: argv[0]!, args: argv.slice(1), env: {}, sandboxed: false };
  const policy = buildPolicy(context, extras);
  if (readiness.label === 'sandbox-exec') return { ok: true, file: 'sandbox-exec', args: seatbeltArgs(policy, argv), env: policy.env, sandboxed: true };
  return { ok: true, file: 'bwrap', args: bwrapArgs(policy, argv), env: policy.env, sandboxed: true };
}
