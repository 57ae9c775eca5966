import { setToolChainFactory } from '../agents/confinement.js';
import { registerPromptSection } from '../agents/prompt.js';
import { buildGuardChain } from './chain.js';
import { siloAdvisory } from './silo/rules.js';
import { installSiloPathCheck } from './silo/runtimeCheck.js';

let installed = false;

/**
 * Plugs the guards into the agent runtime, once per process: every
 * workspace's tool chain is `buildGuardChain` (confinement first), every
 * agent's system prompt carries the silo advisory (layer 2), and file tools'
 * `checkPathAccess` applies the silo path check (layer 4). Bash commands need
 * no installing: spawnBash always runs them in the OS sandbox (src/sandbox).
 */
export function installGuards(): void {
  if (installed) return;
  installed = true;
  installSiloPathCheck();
  setToolChainFactory((ws) => buildGuardChain({ paths: ws.paths, registry: ws.registry, store: ws.store }));
  registerPromptSection((context) => siloAdvisory(context.registry, context.brand, context.paths.home) || null);
}
