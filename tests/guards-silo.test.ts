import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolCall, ToolContext } from '../src/guards/types.js';
import { checkPathAccess } from '../src/guards/pathPolicy.js';
import { loadRegistryFile } from '../src/registry/load.js';
import { buildGuardChain, sandboxBashArgv, sandboxStatus, siloAdvisory, siloDenyRules, siloLayers, type SiloLayerSwitches } from '../src/guards/index.js';
import { makeGuardFixture, type GuardFixture } from './guards-fixture.js';

/**
 * The breach battery: an agent of brand `acme` tries to read the silo brand
 * `blockwise`'s secret every way we know. The context is a workspace-level
 * session (root = the workspace), so worktree confinement, which would stop
 * most of these on its own, stays out of the way and each silo layer is
 * measured alone. An attempt the guards allow is then really carried out:
 * the file tool's runtime check and read, or the Bash command through the
 * sandbox wrapper, and the secret is looked for in what came back.
 */

type Layer = keyof Required<SiloLayerSwitches>;
type Outcome = 'guard' | 'runtime' | 'breach';
interface Breach {
  name: string;
  call: () => ToolCall;
  /** Layers whose nature cannot see this attempt (another layer holds). */
  unseenBy: Layer[];
}

let fx: GuardFixture;
let n = 0;
const LAYERS: Layer[] = ['denyRules', 'advisory', 'boundaryGuard', 'runtimeCheck'];
// What a static reading cannot see: the path is computed at run time. Layer 4 (the sandbox) holds.
const STATIC_BLIND: Layer[] = ['denyRules', 'boundaryGuard', 'advisory'];
// Layer 2 is advice for a cooperating model: it blocks nothing by itself, against any attempt.
const ADVICE: Layer[] = ['advisory'];

function battery(): Breach[] {
  const { home, ledger } = fx;
  const tool = (name: string, input: Record<string, unknown>) => () => ({ id: `b${++n}`, name, input });
  const bash = (command: string) => tool('Bash', { command });
  // Only the tail is hidden: a path whose leading part is unknown counts as anywhere (and is refused statically).
  const obfuscated = Buffer.from(`repos/ledger/secret.txt`).toString('base64');
  return [
    { name: 'Read, relative traversal', call: tool('Read', { file_path: '../../../../repos/ledger/secret.txt' }), unseenBy: ADVICE },
    { name: 'Read, absolute path', call: tool('Read', { file_path: `${ledger}/secret.txt` }), unseenBy: ADVICE },
    { name: 'Read, symlink inside the worktree', call: tool('Read', { file_path: 'link/secret.txt' }), unseenBy: ADVICE },
    { name: 'Grep over the silo', call: tool('Grep', { pattern: 'SECRET', path: ledger }), unseenBy: ADVICE },
    { name: 'Bash cat, absolute', call: bash(`cat ${ledger}/secret.txt`), unseenBy: ADVICE },
    { name: 'Bash cp into the worktree', call: bash(`cp ${ledger}/secret.txt stolen.txt && cat stolen.txt`), unseenBy: ADVICE },
    { name: 'Bash git -C', call: bash(`git -C ${ledger} show HEAD:secret.txt`), unseenBy: ADVICE },
    { name: 'Bash cd &&', call: bash('cd ../../../../repos/ledger && cat secret.txt'), unseenBy: ADVICE },
    { name: 'Bash variable expansion', call: bash(`D=${home}/repos; cat "$D/ledger/secret.txt"`), unseenBy: ADVICE },
    { name: 'Bash glob', call: bash(`cat ${home}/repos/led*/s?cret.*`), unseenBy: ADVICE },
    { name: 'Bash through the symlink', call: bash('cat link/secret.txt'), unseenBy: ADVICE },
    {
      name: 'python3 -c computing the path',
      call: bash(`python3 -c "import sys; p='/'.join([sys.argv[1], 're'+'pos', 'led'+'ger', 'secret.txt']); print(open(p).read())" ${home}`),
      unseenBy: STATIC_BLIND,
    },
    {
      name: 'node -e computing the path',
      call: bash(`node -e "process.stdout.write(require('fs').readFileSync([process.argv[1], 're'+'pos', 'led'+'ger', 'secret.txt'].join('/'), 'utf8'))" ${home}`),
      unseenBy: STATIC_BLIND,
    },
    { name: 'base64-hidden path in a command substitution', call: bash(`cat "${home}/$(echo ${obfuscated} | base64 -d)"`), unseenBy: STATIC_BLIND },
  ];
}

function readTree(target: string): string {
  if (!statSync(target).isDirectory()) return readFileSync(target, 'utf8');
  return readdirSync(target)
    .filter((name) => name !== '.git')
    .map((name) => readTree(path.join(target, name)))
    .join('\n');
}

/** Runs one attempt as the runtime would: the chain, then the tool's own runtime check, then the tool. */
async function attempt(layers: SiloLayerSwitches, breach: Breach, brand = 'acme', cwd = fx.webWorktree): Promise<{ outcome: Outcome; detail: string }> {
  const registry = loadRegistryFile(fx.paths.registry); // a fresh object: switches are per registry
  const chain = buildGuardChain({ paths: fx.paths, registry, silo: layers, audit: false });
  const context: ToolContext = { ...fx.context({ root: fx.home, cwd, brand }), registry };
  const call = breach.call();
  const decision = await chain.evaluate(call, context);
  if (decision.verdict !== 'allow') return { outcome: 'guard', detail: `${decision.guard}: ${decision.reason}` };
  if (call.name !== 'Bash') {
    const target = String(call.input.file_path ?? call.input.path);
    const check = checkPathAccess(context, target, 'read');
    if (!check.ok) return { outcome: 'runtime', detail: check.reason };
    return readTree(check.path).includes(fx.secret) ? { outcome: 'breach', detail: 'read it' } : { outcome: 'runtime', detail: 'nothing found' };
  }
  const wrapped = sandboxBashArgv(context, String(call.input.command));
  const [file, ...args] = wrapped ? [wrapped.file, ...wrapped.args] : ['bash', '-c', String(call.input.command)];
  const run = spawnSync(file!, args, { cwd, encoding: 'utf8', timeout: 30_000 });
  rmSync(path.join(cwd, 'stolen.txt'), { force: true });
  const output = `${run.stdout}${run.stderr}`;
  return output.includes(fx.secret) ? { outcome: 'breach', detail: output } : { outcome: 'runtime', detail: output.slice(0, 200) };
}

const only = (layer: Layer): SiloLayerSwitches => Object.fromEntries(LAYERS.map((l) => [l, l === layer])) as SiloLayerSwitches;
const sandboxWorks = () => sandboxStatus().available;

beforeAll(() => {
  fx = makeGuardFixture();
});

describe('silo breach battery', () => {
  it('breaches every time with all four layers off (the battery tests something)', async () => {
    for (const breach of battery()) {
      const result = await attempt({ denyRules: false, advisory: false, boundaryGuard: false, runtimeCheck: false }, breach);
      expect(result.outcome, `${breach.name}: ${result.detail}`).toBe('breach');
    }
  }, 120_000);

  for (const layer of LAYERS) {
    it(`with only ${layer} on: blocks every attempt its nature can see`, async () => {
      for (const breach of battery()) {
        const result = await attempt(only(layer), breach);
        const blind = breach.unseenBy.includes(layer) || (layer === 'runtimeCheck' && breach.call().name === 'Bash' && !sandboxWorks());
        if (blind) expect(result.outcome, `${breach.name}: ${layer} cannot see it`).toBe('breach');
        else expect(result.outcome, `${breach.name}: ${result.detail}`).not.toBe('breach');
        if (!blind && layer !== 'runtimeCheck') expect(result.outcome, breach.name).toBe('guard');
      }
    }, 120_000);
  }

  it('holds against every attempt with all four layers on', async () => {
    for (const breach of battery()) {
      const result = await attempt({}, breach);
      if (sandboxWorks() || !breach.unseenBy.includes('boundaryGuard')) expect(result.outcome, breach.name).not.toBe('breach');
    }
  }, 120_000);

  it("walls the silo's own agents in: no read of another brand", async () => {
    const outward: Breach[] = [
      { name: 'Read acme', call: () => ({ id: `o${++n}`, name: 'Read', input: { file_path: `${fx.web}/index.ts` } }), unseenBy: [] },
      { name: 'Bash cat acme', call: () => ({ id: `o${++n}`, name: 'Bash', input: { command: 'cat ../../../../repos/web/index.ts' } }), unseenBy: [] },
    ];
    for (const breach of outward) {
      for (const layer of ['denyRules', 'boundaryGuard'] as Layer[]) {
        expect((await attempt(only(layer), breach, 'blockwise', fx.ledgerWorktree)).outcome, `${breach.name} / ${layer}`).toBe('guard');
      }
    }
    const registry = loadRegistryFile(fx.paths.registry);
    const context = { ...fx.context({ root: fx.home, cwd: fx.ledgerWorktree, brand: 'blockwise' }), registry };
    expect(checkPathAccess(context, `${fx.web}/index.ts`, 'read').ok).toBe(false);
    expect(checkPathAccess(context, 'secret.txt', 'read').ok).toBe(true);
  });
});

describe('silo layers for the doctor, the prompt and Claude Code', () => {
  it('reports the four layers, degraded where no OS sandbox works', () => {
    const registry = loadRegistryFile(fx.paths.registry);
    const [report] = siloLayers({ registry, paths: fx.paths });
    expect(report!.brand).toBe('blockwise');
    expect(report!.layers).toEqual({ denyRules: 'on', advisory: 'on', boundaryGuard: 'on', runtimeCheck: sandboxWorks() ? 'on' : 'degraded' });
    const off = loadRegistryFile(fx.paths.registry);
    buildGuardChain({ paths: fx.paths, registry: off, silo: { boundaryGuard: false, runtimeCheck: false }, audit: false });
    expect(siloLayers({ registry: off, paths: fx.paths })[0]!.layers).toMatchObject({ boundaryGuard: 'off', runtimeCheck: 'off' });
  });

  it('writes the advisory rules text for both sides of the wall', () => {
    const registry = loadRegistryFile(fx.paths.registry);
    const outside = siloAdvisory(registry, 'acme', fx.home);
    expect(outside).toContain('Blockwise Intelligence (blockwise)');
    expect(outside).toContain(fx.ledger);
    expect(outside).not.toContain(fx.web);
    const inside = siloAdvisory(registry, 'blockwise', fx.home);
    expect(inside).toContain(fx.web);
    expect(inside).toMatch(/siloed brand/);
  });

  it('generates Claude Code deny rules from the registry', () => {
    const rules = siloDenyRules(fx.registry, fx.paths, 'acme');
    expect(rules).toContain(`Read(/${fx.ledger}/**)`);
    expect(rules).toContain(`Edit(/${fx.ledger}/**)`);
    expect(rules).toContain(`Bash(*${fx.ledger}*)`);
    expect(rules.some((r) => r.includes(fx.web))).toBe(false);
    expect(siloDenyRules(fx.registry, fx.paths, 'blockwise').some((r) => r.includes(fx.web))).toBe(true);
  });
});
