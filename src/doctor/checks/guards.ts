import { BUILTIN_GUARDS } from '../../guards/hookFile.js';
import { builtinStatus, inspectHooks } from '../../guards/loadHooks.js';
import { siloLayers } from '../../guards/silo/layers.js';
import { sandboxOff, SANDBOX_OFF_NOTE, sandboxStatus } from '../../sandbox/index.js';
import { notChecked, pass, type CheckGroup, type CheckResult } from '../types.js';

const LAYER_NAMES = { denyRules: 'deny rules', advisory: 'advisory rules text', boundaryGuard: 'boundary-guard hook', runtimeCheck: 'runtime check' } as const;

/** Hook files parse, the built-in guards are on, and every silo brand has its four layers (OS sandbox: warn only). */
export const guardChecks: CheckGroup = (ctx) => {
  const results: CheckResult[] = [];
  const { hooks, problems } = inspectHooks(ctx.paths.hooks);
  results.push(
    problems.length === 0
      ? pass('hooks.parse', 'every hook file parses', `${hooks.length} hook${hooks.length === 1 ? '' : 's'} in hooks/`)
      : {
          id: 'hooks.parse',
          title: 'every hook file parses',
          status: 'fail',
          message: problems.map((p) => p.message).join('; '),
          fix: 'fix the field named above, or move the file out of hooks/ (a hook that does not parse blocks every tool call)',
          problems: problems.map((p) => ({
            key: `doctor:hooks.parse:${p.file.split(/[\\/]/).pop()}`,
            title: `Hook file ${p.file.split(/[\\/]/).pop()} does not parse`,
            body: `${p.message}\nFix the file or remove it from hooks/.`,
          })),
        },
  );

  const status = builtinStatus(hooks);
  const off = BUILTIN_GUARDS.filter((g) => status[g] !== 'on');
  results.push(
    off.length === 0
      ? pass('guards.builtin', 'the built-in guards are present and on', BUILTIN_GUARDS.join(', '))
      : {
          id: 'guards.builtin',
          title: 'the built-in guards are present and on',
          status: 'fail',
          message: off.map((g) => `${g} is ${status[g]}`).join('; '),
          fix: '`master init` in the workspace reinstalls missing hook files; set "enabled": true in disabled ones',
          problems: off.map((g) => ({
            key: `doctor:guards.builtin:${g}`,
            title: `Built-in guard ${g} is ${status[g]}`,
            body: `hooks/${g}.json is ${status[g]}, so agents run without that guard. Restore the shipped file (\`master init\` installs missing ones) or set "enabled": true.`,
          })),
        },
  );

  results.push(osSandboxCheck(ctx.registry ?? undefined));
  if (!ctx.registry) {
    results.push(notChecked('silos.layers', 'every silo brand has its four layers', ctx.registryError));
    results.push(notChecked('silos.sandbox', 'an OS sandbox guards silo Bash commands', ctx.registryError));
    return results;
  }
  const reports = siloLayers({ registry: ctx.registry, paths: ctx.paths });
  if (reports.length === 0) {
    results.push(pass('silos.layers', 'every silo brand has its four layers', 'no silo brand'));
    results.push(pass('silos.sandbox', 'an OS sandbox guards silo Bash commands', 'no silo brand needs one'));
    return results;
  }
  const missing: string[] = [];
  const degraded: string[] = [];
  for (const report of reports) {
    for (const [layer, state] of Object.entries(report.layers) as Array<[keyof typeof LAYER_NAMES, string]>) {
      if (state === 'off') missing.push(`${report.brand}: ${LAYER_NAMES[layer]} off`);
      if (state === 'degraded') degraded.push(`${report.brand}: ${report.notes.find((n) => n.startsWith('layer 4')) ?? 'layer 4 degraded'}`);
    }
  }
  results.push(
    missing.length === 0
      ? pass('silos.layers', 'every silo brand has its four layers', reports.map((r) => r.brand).join(', '))
      : {
          id: 'silos.layers',
          title: 'every silo brand has its four layers',
          status: 'fail',
          message: [...missing, ...reports.flatMap((r) => r.notes.filter((n) => !n.startsWith('layer 4')))].join('; '),
          fix: 'restore hooks/deny-rules.json and hooks/boundary-guard.json (`master init` installs missing ones) and enable them',
        },
  );
  results.push(
    degraded.length === 0
      ? pass('silos.sandbox', 'an OS sandbox guards silo Bash commands', 'bubblewrap works here')
      : {
          id: 'silos.sandbox',
          title: 'an OS sandbox guards silo Bash commands',
          status: 'warn',
          message: degraded.join('; '),
          fix: 'install bubblewrap (`apt-get install bubblewrap`) and allow unprivileged user namespaces; the other three layers still hold',
        },
  );
  return results;
};

/**
 * The primary wall: every agent, script and check command runs in the OS
 * sandbox. Where it cannot run the doctor fails (agents wait anyway); the
 * operator's `"sandbox": "off"` is a warning every report repeats.
 */
function osSandboxCheck(registry: Parameters<typeof sandboxOff>[0] | undefined): CheckResult {
  const title = 'an OS sandbox walls every agent, script and check command';
  const status = sandboxStatus();
  if (registry && sandboxOff(registry)) {
    return { id: 'sandbox.os', title, status: 'warn', message: SANDBOX_OFF_NOTE, fix: 'remove "sandbox": "off" from registry.json once bubblewrap works here' };
  }
  if (status.available) return pass('sandbox.os', title, `${status.via} works here`);
  return {
    id: 'sandbox.os',
    title,
    status: 'fail',
    message: `${status.reason}; agent, script and check commands wait`,
    fix: 'install bubblewrap (`apt-get install bubblewrap`) and allow unprivileged user namespaces, or accept the risk with "sandbox": "off" in registry.json',
    problems: [
      {
        key: 'doctor:sandbox.os',
        title: 'No OS sandbox: agents wait',
        body: `${status.reason}. Without the OS sandbox agent, script and check commands do not run. Install bubblewrap and allow unprivileged user namespaces, or set "sandbox": "off" in registry.json to run them unconfined at your own risk.`,
      },
    ],
  };
}
