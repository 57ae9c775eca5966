import type { Registry } from '../../registry/schema.js';
import type { WorkspacePaths } from '../../workspace/paths.js';
import { builtinStatus, inspectHooks } from '../loadHooks.js';
import { siloLayerOn } from './areas.js';
import { sandboxStatus } from './sandbox.js';

export type LayerState = 'on' | 'degraded' | 'off';

export interface SiloLayerReport {
  brand: string;
  layers: { denyRules: LayerState; advisory: LayerState; boundaryGuard: LayerState; runtimeCheck: LayerState };
  /** Why a layer is not fully on, one line each. */
  notes: string[];
}

/**
 * For each silo brand, which of the four layers is in place (for the doctor
 * and the cockpit): deny rules and the boundary guard need their hook files
 * present and enabled; layer 4 is degraded where no OS sandbox works.
 */
export function siloLayers(ws: { registry: Registry; paths: Pick<WorkspacePaths, 'hooks'> }): SiloLayerReport[] {
  const silos = ws.registry.brands.filter((b) => b.silo);
  if (silos.length === 0) return [];
  const { hooks } = inspectHooks(ws.paths.hooks);
  const status = builtinStatus(hooks);
  const sandbox = sandboxStatus();
  return silos.map((brand) => {
    const notes: string[] = [];
    const hookLayer = (guard: 'deny-rules' | 'boundary-guard', layer: 'denyRules' | 'boundaryGuard'): LayerState => {
      if (!siloLayerOn(ws.registry, layer)) return 'off';
      if (status[guard] !== 'on') {
        notes.push(`hooks/${guard}.json is ${status[guard]}; \`master init\` ships it`);
        return 'off';
      }
      return 'on';
    };
    const denyRules = hookLayer('deny-rules', 'denyRules');
    const boundaryGuard = hookLayer('boundary-guard', 'boundaryGuard');
    const advisory: LayerState = siloLayerOn(ws.registry, 'advisory') ? 'on' : 'off';
    let runtimeCheck: LayerState = siloLayerOn(ws.registry, 'runtimeCheck') ? 'on' : 'off';
    if (runtimeCheck === 'on' && !sandbox.available) {
      runtimeCheck = 'degraded';
      notes.push(`layer 4: file tools check real paths, but Bash runs unsandboxed: ${sandbox.reason}`);
    }
    return { brand: brand.id, layers: { denyRules, advisory, boundaryGuard, runtimeCheck }, notes };
  });
}
