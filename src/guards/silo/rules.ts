import type { Registry } from '../../registry/schema.js';
import { workspacePaths, type WorkspacePaths } from '../../workspace/paths.js';
import { siloLayerOn, siloMap, type Area } from './areas.js';

/**
 * Silo layers 1 and 2: permission rules generated from the registry (Claude
 * Code's syntax, so the same list can go into `.claude/settings.json`), and
 * the advisory text every agent's system prompt carries.
 */

/** Layer 1: deny rules for a caller of `brand` (undefined: a caller of no brand). */
export function siloDenyRules(registry: Registry, paths: WorkspacePaths, brand: string | undefined): string[] {
  const rules: string[] = [];
  const seen = new Set<string>();
  for (const area of siloMap(registry, paths).forbidden(brand)) {
    for (const folder of new Set([area.path, area.lexical])) {
      if (seen.has(folder)) continue;
      seen.add(folder);
      // `//` marks an absolute path in Claude Code's rules.
      const abs = `/${folder}`;
      rules.push(`Read(${abs})`, `Read(${abs}/**)`, `Edit(${abs}/**)`, `Write(${abs}/**)`, `Bash(*${folder}*)`);
    }
  }
  return rules;
}

function describeAreas(areas: Area[]): string {
  const byBrand = new Map<string, string[]>();
  for (const area of areas) {
    const list = byBrand.get(area.brand) ?? [];
    if (!list.includes(area.lexical)) list.push(area.lexical);
    byBrand.set(area.brand, list);
  }
  return [...byBrand].map(([brand, folders]) => `- ${brand}: ${folders.join(', ')}`).join('\n');
}

/**
 * Layer 2: the rules text for an agent of `brand`, to append to its system
 * prompt; empty when the workspace has no silo (or the layer is switched off).
 */
export function siloAdvisory(registry: Registry, brand: string | undefined, home?: string): string {
  if (!siloLayerOn(registry, 'advisory')) return '';
  const paths = workspacePaths(home ?? process.env.MASTER_HOME ?? process.cwd());
  const map = siloMap(registry, paths);
  if (map.silos.length === 0) return '';
  const forbidden = map.forbidden(brand);
  if (forbidden.length === 0) return '';
  const names = new Map(registry.brands.map((b) => [b.id, b.name]));
  if (brand && map.silos.includes(brand)) {
    return [
      `## Silo rules`,
      `You work for ${names.get(brand) ?? brand}, a siloed brand: its code and data must not leave it, and nothing of another brand may enter it.`,
      `Stay inside your worktree and ${brand}'s own repositories. Never read, list, search, copy, link or mention files of these other brands' folders:`,
      describeAreas(forbidden),
      `Do not copy ${brand}'s code, data or secrets anywhere outside its repositories. Guards enforce this: every attempt is refused and logged.`,
    ].join('\n');
  }
  const siloNames = map.silos.map((id) => `${names.get(id) ?? id} (${id})`).join(', ');
  return [
    `## Silo rules`,
    `These brands are siloed: ${siloNames}. Their code and data are off limits to you.`,
    `Never read, list, search, copy, link to, or run anything in these folders, by any path (absolute, relative, through a symlink, a variable or a script):`,
    describeAreas(forbidden),
    `If your task seems to need anything from a silo, stop and ask the operator (AskOperator). Guards enforce this: every attempt is refused and logged.`,
  ].join('\n');
}
