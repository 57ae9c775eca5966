import { modelAvailability } from '../../agents/availability.js';
import { allRepos } from '../../registry/load.js';
import { notChecked, pass, type CheckGroup, type CheckResult } from '../types.js';

/** The registry itself, the repos' checks, and whether a model is configured (machine-level: warn only). */
export const registryChecks: CheckGroup = (ctx) => {
  const { registry } = ctx;
  if (!registry) {
    return [
      {
        id: 'registry.valid',
        title: 'registry.json is valid',
        status: 'fail',
        message: ctx.registryError ?? 'registry.json cannot be read',
        fix: 'fix the field named above (`master registry validate` checks it again)',
      },
      notChecked('checks.configured', 'every repo has checks', ctx.registryError),
      notChecked('model.configured', 'a model is configured', ctx.registryError),
    ];
  }
  const results: CheckResult[] = [];
  const repos = allRepos(registry);
  results.push(pass('registry.valid', 'registry.json is valid', `${registry.brands.length} brands, ${repos.length} repos`));

  const unchecked = repos.filter(({ repo }) => !repo.checks.test && !repo.checks.lint && !repo.checks.typecheck);
  results.push(
    unchecked.length === 0
      ? pass('checks.configured', 'every repo has checks', `${repos.length} repo${repos.length === 1 ? ' has' : 's have'} test/lint/typecheck commands for the gate`)
      : {
          id: 'checks.configured',
          title: 'every repo has checks',
          status: 'fail',
          message: `no checks configured for ${unchecked.map(({ repo }) => repo.id).join(', ')}: the gate would merge whatever builds`,
          fix: 'add "checks": {"test": "...", "lint": "..."} to each of these repos in registry.json',
          problems: unchecked.map(({ brand, repo }) => ({
            key: `doctor:checks.configured:${repo.id}`,
            title: `Configure merge checks for ${repo.id}`,
            body: `The doctor found no checks (test, lint, typecheck) for repo ${repo.id} in registry.json, so the merge gate has nothing to run on its candidates. Add the repo's test and lint commands under "checks".`,
            brand: brand.id,
            repo: repo.id,
          })),
        },
  );

  const model = modelAvailability(registry, ctx.env);
  const agentRepos = repos.filter(({ repo }) => repo.gate.verifier === 'agent').length;
  results.push(
    model.ok
      ? pass('model.configured', 'a model is configured', model.label)
      : {
          id: 'model.configured',
          title: 'a model is configured',
          status: 'warn',
          message: `${model.reason}${agentRepos ? `; ${agentRepos} repo${agentRepos === 1 ? '' : 's'} with an agent verifier hold tickets in review` : ''}`,
          fix: 'export ANTHROPIC_API_KEY, or set "gate": {"verifier": "checks-only"} on repos that may merge on checks alone',
        },
  );
  return results;
};
