import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { openModel, type ModelEndpoint } from '../../src/agents/model.js';
import type { ModelScript } from '../../src/agents/scripted/script.js';
import { createAgentVerifier } from '../../src/gate/verifierAgent.js';
import { buildGuardChain } from '../../src/guards/chain.js';
import type { RegistryInput } from '../../src/registry/schema.js';
import { FAST_RETRY } from './agents.js';
import { makeGateWorkspace, type GateWorkspace } from './gate.js';

export const SCRIPTED_MODELS = { provider: 'scripted' as const, default: 'scripted-demo', script: 'model-script.json' };

/**
 * A gate workspace whose verifier is an agent, and the scripted model server
 * (real SDK over loopback HTTP) answering it from `script`. What must be
 * closed after the test goes onto `cleanup`.
 */
export async function scriptedVerifierGate(script: ModelScript, cleanup: Array<() => Promise<void>>, registry: Partial<RegistryInput> = {}): Promise<{ gw: GateWorkspace; model: ModelEndpoint }> {
  const gw = await makeGateWorkspace({ registry: { models: SCRIPTED_MODELS, ...registry }, repo: { gate: { verifier: 'agent' } } });
  writeFileSync(path.join(gw.home, 'model-script.json'), JSON.stringify(script));
  const model = await openModel(gw.ws.registry, gw.home, { script, recordRequests: true });
  cleanup.push(
    () => gw.ws.store.close(),
    () => model.close(),
  );
  return { gw, model };
}

/** The agent verifier the gate would use, on the workspace's full guard chain. */
export function agentVerifierOf(gw: GateWorkspace, model: ModelEndpoint) {
  const chain = buildGuardChain({ paths: gw.ws.paths, registry: gw.ws.registry, store: gw.ws.store });
  return createAgentVerifier({ ws: gw.ws, model, chain, bus: gw.bus, retry: FAST_RETRY });
}
