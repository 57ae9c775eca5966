import { setToolChainFactory } from '../agents/confinement.js';
import { registerPromptSection } from '../agents/prompt.js';
import { setBashArgvWrapper } from '../agents/tools/spawnBash.js';
import { buildGuardChain } from './chain.js';
import { siloAdvisory } from './silo/rules.js';
import { sandboxBashArgv } from './silo/sandbox.js';
import { installSiloPathCheck } from './silo/runtimeCheck.js';

let installed = false;

/**
 * Plugs the guards into the agent runtime, once per process: every
 * workspace's tool chain is `buildGuardChain` (confinement first), every
 * agent's system prompt carries the silo advisory (layer 2), every Bash
 * command and script-ticket command runs through the silo sandbox (layer 4),
 * and file tools' `checkPathAccess` applies the silo path check (layer 4).
 */
export function installGuards(): void {
  if (installed) return;
  installed = true;
  installSiloPathCheck();
  setToolChainFactory((ws) => buildGuardChain({ paths: ws.paths, registry: ws.registry, store: ws.store }));
  registerPromptSection((context) => siloAdvisory(context.registry, context.brand, context.paths.home) || null);
  setBashArgvWrapper((argv, context) => {
    if (argv.length !== 3 || argv[1] !== '-c') return argv;
    const sandboxed = sandboxBashArgv(context, argv[2]!, argv[0]);
    return sandboxed ? [sandboxed.file, ...sandboxed.args] : argv;
  });
}
