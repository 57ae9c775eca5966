import { homedir } from 'node:os';
import path from 'node:path';
import type { HookSpec } from './hookFile.js';
import { loadHooks } from './loadHooks.js';
import type { ToolContext } from './types.js';

/**
 * The fixed paths the enabled deny-rules hooks forbid reading (`~/x`, `//abs`;
 * patterns with wildcards inside are skipped). The OS sandbox hides them, so a
 * path the guards cannot pin down (`cat "$1"`) still finds nothing there.
 */
export function deniedReadPaths(context: Pick<ToolContext, 'paths'>): string[] {
  let hooks: HookSpec[];
  try {
    hooks = loadHooks(context.paths.hooks);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const rule of hooks.filter((h) => h.enabled && h.guard === 'deny-rules').flatMap((h) => h.rules ?? [])) {
    const m = /^Read\((~\/|\/\/)([^*?[{]+?)(\/\*\*)?\)$/.exec(rule);
    if (m) out.push(path.resolve(m[1] === '~/' ? homedir() : '/', m[2]!));
  }
  return out;
}
