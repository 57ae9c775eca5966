import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Bus, type BusEvent } from '../../src/bus/index.js';
import type { ModelScript } from '../../src/agents/scripted/script.js';
import type { RegistryInput } from '../../src/registry/schema.js';
import { openWorkspace, type Workspace } from '../../src/workspace/open.js';
import { makeRepo, makeWorkspace } from './workspace.js';

/** A repo whose `add` is wrong and whose test says so. */
export const BUGGY_REPO = {
  'package.json': '{ "type": "module" }\n',
  'src/add.js': 'export function add(a, b) {\n  return a - b;\n}\n',
  'test/add.test.js': "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { add } from '../src/add.js';\n\ntest('adds', () => assert.strictEqual(add(2, 3), 5));\n",
  'AGENTS.md': 'Run the tests with `node --test`.\n',
};

export interface AgentWorkspace {
  home: string;
  ws: Workspace;
  bus: Bus;
  events: BusEvent[];
}

/**
 * A workspace whose brands each have one real repo (`<brand>-app`), using
 * the scripted demo model with `script` written to `model-script.json`.
 */
export async function makeAgentWorkspace(options: {
  brands: Array<{ id: string; lanes?: number }>;
  script?: ModelScript;
  files?: Record<string, string>;
  registry?: Partial<RegistryInput>;
}): Promise<AgentWorkspace> {
  const home = makeWorkspace({
    brands: options.brands.map((b) => ({
      id: b.id,
      name: b.id.toUpperCase(),
      ...(b.lanes ? { lanes: b.lanes } : {}),
      repos: [{ id: `${b.id}-app`, path: `repos/${b.id}-app` }],
    })),
    models: { provider: 'scripted', default: 'scripted-demo', script: 'model-script.json' },
    ...options.registry,
  });
  for (const brand of options.brands) makeRepo(path.join(home, 'repos', `${brand.id}-app`), options.files ?? BUGGY_REPO);
  writeFileSync(path.join(home, 'model-script.json'), JSON.stringify(options.script ?? { tickets: {} }, null, 2));
  const bus = new Bus();
  const events: BusEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const ws = await openWorkspace(home, { bus });
  return { home, ws, bus, events };
}

/** Fast retries for tests: the same policy shape, milliseconds instead of seconds. */
export const FAST_RETRY = { retries: 2, baseDelayMs: 5, maxDelayMs: 20 };
