import type { ToolContext } from '../types.js';
import type { Access } from '../pathPolicy.js';
import { contextBrand, reachedArea, siloLayerOn, siloMap } from './areas.js';

/**
 * Silo layer 4 for file tools: every file tool calls `checkPathAccess`
 * before it reads or writes; this check refuses a real path (symlinks
 * followed) in a folder the caller's brand must not reach, or a folder that
 * holds one (a search over it would reach inside).
 */
export function siloPathCheck(context: ToolContext, realPath: string, _access: Access): string | null {
  if (!siloLayerOn(context.registry, 'runtimeCheck')) return null;
  const map = siloMap(context.registry, context.paths);
  if (map.silos.length === 0) return null;
  const area = reachedArea(map.forbidden(contextBrand(context)), realPath, true);
  if (!area) return null;
  const who = contextBrand(context);
  return `${realPath} is behind a silo wall: it belongs to brand "${area.brand}" (${area.lexical}), which ${who ? `brand "${who}"` : 'this caller'} may not reach`;
}
