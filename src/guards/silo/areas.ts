import path from 'node:path';
import type { ToolContext } from '../types.js';
import type { Registry } from '../../registry/schema.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { isInside, resolveReal } from '../pathPolicy.js';

/**
 * Where each brand's code and knowledge live (its repos, its ticket
 * worktrees, its wiki pages), as real paths, and which of them a caller of a
 * given brand may not reach: a silo brand's areas for everyone else, and
 * everything of the other brands for the silo's own agents.
 */

export interface Area {
  brand: string;
  /** Real, absolute folder. */
  path: string;
  /** As the registry names it, before symlinks are resolved (sandboxes hide both). */
  lexical: string;
}

export interface SiloMap {
  /** Ids of the brands with `silo: true`. */
  silos: string[];
  areas: Area[];
  /** The areas a caller of this brand (undefined: no brand) must not touch. */
  forbidden(brand: string | undefined): Area[];
  /** The brand whose area holds this real path. */
  brandOfPath(realPath: string): string | undefined;
}

/** The layers of a silo that can be switched off (tests prove each alone holds). */
export interface SiloLayerSwitches {
  denyRules?: boolean;
  advisory?: boolean;
  boundaryGuard?: boolean;
  runtimeCheck?: boolean;
}

const maps = new WeakMap<Registry, Map<string, SiloMap>>();
const switches = new WeakMap<Registry, SiloLayerSwitches>();

/** The silo map of a workspace (computed once per registry object and home). */
export function siloMap(registry: Registry, paths: Pick<WorkspacePaths, 'home' | 'worktrees' | 'wiki'>): SiloMap {
  let byHome = maps.get(registry);
  if (!byHome) maps.set(registry, (byHome = new Map()));
  const hit = byHome.get(paths.home);
  if (hit) return hit;
  const map = buildMap(registry, paths);
  byHome.set(paths.home, map);
  return map;
}

function buildMap(registry: Registry, paths: Pick<WorkspacePaths, 'home' | 'worktrees' | 'wiki'>): SiloMap {
  const areas: Area[] = [];
  const add = (brand: string, lexical: string) => areas.push({ brand, lexical, path: resolveReal(lexical, paths.home) });
  for (const brand of registry.brands) {
    for (const repo of brand.repos) {
      add(brand.id, path.resolve(paths.home, repo.path));
      add(brand.id, path.join(paths.worktrees, repo.id));
    }
    add(brand.id, path.join(paths.wiki, brand.id));
  }
  const silos = registry.brands.filter((b) => b.silo).map((b) => b.id);
  const cache = new Map<string, Area[]>();
  return {
    silos,
    areas,
    forbidden(brand) {
      const key = brand ?? '\0';
      let list = cache.get(key);
      if (list) return list;
      if (silos.length === 0) list = [];
      else if (brand && silos.includes(brand)) {
        const own = areas.filter((a) => a.brand === brand);
        // Another brand's folder that holds this silo's own repo is not walled off (nested checkouts).
        list = areas.filter((a) => a.brand !== brand && !own.some((o) => isInside(o.path, a.path)));
      } else list = areas.filter((a) => silos.includes(a.brand) && a.brand !== brand);
      cache.set(key, list);
      return list;
    },
    brandOfPath(realPath) {
      let best: Area | undefined;
      for (const area of areas) {
        if (isInside(realPath, area.path) && (!best || area.path.length > best.path.length)) best = area;
      }
      return best?.brand;
    },
  };
}

const brandByRoot = new WeakMap<Registry, Map<string, string | undefined>>();

/** The brand a tool call acts for: the context's, else the one whose repo or worktree holds the root. */
export function contextBrand(context: ToolContext): string | undefined {
  if (context.brand) return context.brand;
  let byRoot = brandByRoot.get(context.registry);
  if (!byRoot) brandByRoot.set(context.registry, (byRoot = new Map()));
  if (byRoot.has(context.root)) return byRoot.get(context.root);
  const brand = siloMap(context.registry, context.paths).brandOfPath(resolveReal(context.root, context.cwd));
  byRoot.set(context.root, brand);
  return brand;
}

/** Switches silo layers on or off for every chain and tool using this registry object (tests). */
export function setSiloLayers(registry: Registry, layers: SiloLayerSwitches): void {
  switches.set(registry, { ...layers });
}

/** Whether a layer is on for this registry (every layer is on unless switched off). */
export function siloLayerOn(registry: Registry, layer: keyof SiloLayerSwitches): boolean {
  return switches.get(registry)?.[layer] !== false;
}

/** The area a real path reaches, if it is forbidden: inside it, or (for a folder read as a whole) holding it. */
export function reachedArea(forbidden: Area[], realPath: string, wholeFolder: boolean): Area | undefined {
  for (const area of forbidden) {
    if (isInside(realPath, area.path)) return area;
    if (wholeFolder && isInside(area.path, realPath)) return area;
  }
  return undefined;
}
