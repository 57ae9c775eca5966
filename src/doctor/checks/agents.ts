import { validateContracts } from '../../agents/contracts.js';
import { CONTRACT_NAMES } from '../../registry/schema.js';
import { notChecked, pass, type CheckGroup } from '../types.js';

/** The eight agent contracts: declared by this version and valid after the registry's overrides. */
export const agentChecks: CheckGroup = (ctx) => {
  const id = 'agents.contracts';
  const title = `the ${CONTRACT_NAMES.length} agent contracts are declared and valid`;
  if (!ctx.registry) return [notChecked(id, title, ctx.registryError)];
  const problems = validateContracts(ctx.registry);
  if (problems.length === 0) return [pass(id, title, CONTRACT_NAMES.join(', '))];
  const byContract = new Map<string, string[]>();
  for (const p of problems) byContract.set(p.contract, [...(byContract.get(p.contract) ?? []), `${p.field}: ${p.message}`]);
  return [
    {
      id,
      title,
      status: 'fail',
      message: problems.map((p) => `contracts.${p.contract}.${p.field}: ${p.message}`).join('; '),
      fix: 'correct or remove the override under "contracts" in registry.json',
      problems: [...byContract].map(([contract, lines]) => ({
        key: `doctor:agents.contracts:${contract}`,
        title: `Fix the ${contract} agent contract`,
        body: `The doctor found the ${contract} contract invalid after registry.json's overrides:\n${lines.map((l) => `- ${l}`).join('\n')}\nCorrect or remove "contracts.${contract}" in registry.json.`,
      })),
    },
  ];
};
