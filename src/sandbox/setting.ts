import os from 'node:os';
import path from 'node:path';
import type { Registry } from '../registry/schema.js';

/**
 * The registry's `sandbox` setting, in one place. Its meaning:
 * - absent or `"on"`: every command an agent, a script ticket or a gate check
 *   starts runs in the OS sandbox; where the sandbox cannot run, those
 *   tickets wait (no sandbox, no agents);
 * - `"off"`: the operator accepts the risk; commands run unconfined and every
 *   session report says so;
 * - an object `{ "writable": [...], "hidden": [...] }`: on, with tool caches
 *   (e.g. `"~/.npm"`) writable and extra folders (e.g. `"~/.ssh"`) absent.
 * "Off" is only ever the plain string, so `registry.sandbox !== 'off'` is the
 * whole test for "on" anywhere in the program.
 */
export type SandboxSetting = Registry['sandbox'];

/** Whether the operator switched the OS sandbox off in registry.json. */
export function sandboxOff(registry: Pick<Registry, 'sandbox'>): boolean {
  return registry.sandbox === 'off';
}

/** What every report says while the operator has the sandbox off. */
export const SANDBOX_OFF_NOTE = 'the OS sandbox is OFF (registry.json "sandbox": "off"): agent, script and check commands run unconfined with your rights';

/** Expands a registry path: `~/x` is under the operator's home, anything else must be absolute. */
export function expandSettingPath(entry: string, home = os.homedir()): string {
  if (entry === '~') return home;
  if (entry.startsWith('~/')) return path.join(home, entry.slice(2));
  return path.resolve(entry);
}

/** Tool caches the registry makes writable inside the sandbox (absolute paths). */
export function settingWritable(registry: Pick<Registry, 'sandbox'>, home = os.homedir()): string[] {
  const setting = registry.sandbox;
  return typeof setting === 'object' ? setting.writable.map((p) => expandSettingPath(p, home)) : [];
}

/** Extra folders the registry hides inside the sandbox (absolute paths). */
export function settingHidden(registry: Pick<Registry, 'sandbox'>, home = os.homedir()): string[] {
  const setting = registry.sandbox;
  return typeof setting === 'object' ? setting.hidden.map((p) => expandSettingPath(p, home)) : [];
}
