import { escapeGlob, globOverlap } from '../glob.js';
import { globBase } from '../callInfo.js';
import { contextBrand, reachedArea, siloLayerOn, siloMap, type Area } from '../silo/areas.js';
import { resolveReal } from '../pathPolicy.js';
import { bashSandboxed } from '../silo/sandbox.js';
import { RECURSIVE_PROGRAMS, type BuiltinEnv, type GuardCheck } from './types.js';
import { escapingLinks, sweepingTouches } from './worktreeLinks.js';

/**
 * Boundary guard (silo layer 3): the paths a file tool names, and every word
 * of a Bash command that could be a path (relative to every folder a `cd`
 * chain may reach, `~`, variables it can resolve, globs, paths inside an
 * interpreter's code), are checked — lexically and with symlinks followed —
 * against the folders the caller's brand must not reach. A path computed at
 * run time inside an interpreter is beyond any static reading: layer 4 (the
 * runtime check and the Bash sandbox) holds there.
 */
export function boundaryGuard(env: BuiltinEnv): GuardCheck {
  return (call, context, info) => {
    if (info.kind === 'other' || !siloLayerOn(context.registry, 'boundaryGuard')) return null;
    const map = siloMap(context.registry, context.paths);
    if (map.silos.length === 0) return null;
    const brand = contextBrand(context);
    const forbidden = map.forbidden(brand);
    if (forbidden.length === 0) return null;
    // The sandbox hides the silo's folders: a path that could be anything, or a glob through a link, finds nothing there.
    const sandboxed = info.kind === 'bash' && bashSandboxed(context);
    for (const touch of info.touches) {
      if (sandboxed && touch.unknown) continue;
      const whole = touch.scope || RECURSIVE_PROGRAMS.has(touch.by);
      const area = touch.glob ? globReaches(forbidden, touch.path, info.real(globBase(touch.path)), whole) : reaches(forbidden, touch.path, info.real(touch.path), whole);
      if (area) {
        const silo = map.silos.includes(area.brand) ? `brand "${area.brand}" is siloed` : `brand "${brand}" is siloed`;
        if (touch.unknown) return `${touch.unknown}, so it may reach ${area.lexical}, which belongs to brand "${area.brand}": ${silo}, and its wall is not crossed; name the files you mean`;
        return `${touch.glob ? 'the pattern ' : ''}${touch.path}${touch.by !== call.name ? ` (${touch.by})` : ''} reaches ${area.lexical}, which belongs to brand "${area.brand}": ${silo}, and its wall is not crossed`;
      }
    }
    // A glob or recursive read in the worktree follows the symlinks already there.
    const root = resolveReal(context.root, context.cwd);
    const sweeping = sandboxed ? [] : sweepingTouches(info, root);
    if (sweeping.length) {
      for (const { link, real } of escapingLinks(info, root)) {
        const area = reachedArea(forbidden, real, true);
        if (area) {
          return `${sweeping[0]!.path} (${sweeping[0]!.by}) sweeps the worktree, where the symlink ${link} leads to ${real}, which belongs to brand "${area.brand}": its wall is not crossed (remove the link, or name the files you mean)`;
        }
      }
    }
    void env;
    return null;
  };
}

function reaches(forbidden: Area[], lexical: string, real: string, whole: boolean): Area | undefined {
  return reachedArea(forbidden, lexical, whole) ?? reachedArea(forbidden, real, whole) ?? lexicalArea(forbidden, lexical, whole);
}

function lexicalArea(forbidden: Area[], lexical: string, whole: boolean): Area | undefined {
  // The registry's own spelling of an area (before its symlinks are resolved).
  return reachedArea(
    forbidden.map((a) => ({ ...a, path: a.lexical })),
    lexical,
    whole,
  );
}

function globReaches(forbidden: Area[], pattern: string, realBase: string, whole: boolean): Area | undefined {
  const base = globBase(pattern);
  const realPattern = base === realBase ? pattern : escapeGlob(realBase) + pattern.slice(escapeGlob(base).length);
  for (const area of forbidden) {
    for (const candidate of [pattern, realPattern]) {
      for (const folder of [area.path, area.lexical]) {
        const overlap = globOverlap(candidate, folder);
        if (overlap === 'inside' || (overlap === 'ancestor' && whole)) return area;
      }
    }
  }
  return undefined;
}
