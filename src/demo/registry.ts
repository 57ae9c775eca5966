import type { RegistryInput } from '../registry/schema.js';
import { DEMO_MODEL_SCRIPT } from './agentScripts.js';

/** The operator's seven brands and which demo repos each has (the same as this repository's registry.json). */
export const DEMO_BRANDS: ReadonlyArray<{ id: string; name: string; silo?: boolean; repos: string[] }> = [
  { id: 'sandbox', name: 'Sandbox', repos: ['sandbox-content', 'sandbox-curriculum'] },
  { id: 'umano', name: 'UMANO', repos: ['umano-events', 'umano-label'] },
  { id: 'violetstudios', name: 'VioletStudios', repos: ['violet-tools'] },
  { id: 'suite52', name: 'Suite52', repos: ['suite52-site'] },
  { id: 'blockwise', name: 'Blockwise Intelligence', silo: true, repos: ['blockwise-engine'] },
  { id: 'maxproduct', name: 'MaxProduct', repos: ['maxproduct-lab'] },
  { id: 'personal', name: 'Personal', repos: ['personal-career'] },
];

export const DEMO_AUTHOR = { name: 'Master OS Demo', email: 'demo@master-os.invalid' };

/** The demo registry with each repo at `<repoDir>/<id>` (relative to the workspace). */
export function demoRegistry(repoDir = 'repos'): RegistryInput {
  return {
    brands: DEMO_BRANDS.map((brand) => ({
      id: brand.id,
      name: brand.name,
      ...(brand.silo ? { silo: true } : {}),
      repos: brand.repos.map((id) => ({
        id,
        path: `${repoDir}/${id}`,
        mainBranch: 'main',
        checks: { test: 'node --test', lint: 'node scripts/lint.mjs' },
      })),
    })),
    dispatch: { concurrency: 4, lanesPerBrand: 1 },
    models: { provider: 'scripted', default: 'scripted-demo', script: DEMO_MODEL_SCRIPT },
    timezone: 'UTC',
    git: { author: DEMO_AUTHOR },
  };
}
