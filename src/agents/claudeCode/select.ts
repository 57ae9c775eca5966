import type { ContractName, ExecutorKind, Registry } from '../../registry/schema.js';

/** Which executor runs a contract's agents for a brand: the contract's setting, else the brand's, else the workspace's. */
export function executorFor(registry: Pick<Registry, 'executor' | 'contracts' | 'brands'>, brand: string, contract: ContractName): ExecutorKind {
  return registry.contracts[contract]?.executor ?? registry.brands.find((b) => b.id === brand)?.executor ?? registry.executor;
}
