import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { Bus, type BusEvent } from '../../src/bus/index.js';
import type { RegistryInput } from '../../src/registry/schema.js';
import { zeroUsage, type Ticket } from '../../src/state/types.js';
import { openWorkspace, type Workspace } from '../../src/workspace/open.js';
import { git, makeRepo, makeWorkspace } from './workspace.js';

/** A repo whose `add` is right and whose test checks it; the lint check fails on a file named `LINT_FAIL`. */
export const GOOD_REPO = {
  'package.json': '{ "type": "module" }\n',
  'src/add.js': 'export function add(a, b) {\n  return a + b;\n}\n',
  'test/add.test.js': "import { test } from 'node:test';\nimport assert from 'node:assert';\nimport { add } from '../src/add.js';\n\ntest('adds', () => assert.strictEqual(add(2, 3), 5));\n",
  'scripts/lint.mjs': "import { existsSync } from 'node:fs';\nif (existsSync('LINT_FAIL')) { console.error('lint: LINT_FAIL present'); process.exit(1); }\n",
};

export interface GateWorkspace {
  home: string;
  repo: string;
  ws: Workspace;
  bus: Bus;
  events: BusEvent[];
}

/** A workspace with brand `alpha` and one real repo `alpha-app` whose checks are `node --test` and a lint script. */
export async function makeGateWorkspace(options: { registry?: Partial<RegistryInput>; repo?: Record<string, unknown> } = {}): Promise<GateWorkspace> {
  const home = makeWorkspace({
    brands: [
      {
        id: 'alpha',
        name: 'Alpha',
        repos: [
          {
            id: 'alpha-app',
            path: 'repos/alpha-app',
            checks: { test: 'node --test', lint: 'node scripts/lint.mjs', timeoutSeconds: 60 },
            gate: { verifier: 'checks-only' },
            ...options.repo,
          },
        ],
      },
    ],
    ...options.registry,
  });
  const repo = makeRepo(path.join(home, 'repos/alpha-app'), GOOD_REPO);
  const bus = new Bus();
  const events: BusEvent[] = [];
  bus.subscribe((event) => events.push(event));
  const ws = await openWorkspace(home, { bus });
  return { home, repo, ws, bus, events };
}

/** Commits files in `dir` (a checkout) and returns the new sha. */
export function commitFiles(dir: string, files: Record<string, string>, message: string): string {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/**
 * A ticket in `review` as the executor leaves it: a worktree under
 * `.master/worktrees/<repo>/T-n` on branch `master/T-n` from main, with
 * `files` committed there.
 */
export function ticketInReview(gw: GateWorkspace, files: Record<string, string>, fields: Partial<Pick<Ticket, 'title' | 'acceptance' | 'body'>> = {}): Ticket {
  const { ws, repo } = gw;
  const ticket = ws.tickets.create({
    brand: 'alpha',
    repo: 'alpha-app',
    title: fields.title ?? 'Change the app',
    body: fields.body ?? '',
    acceptance: fields.acceptance ?? [],
    state: 'ready',
  });
  const branch = `master/${ticket.id}`;
  const worktree = path.join(ws.paths.worktrees, 'alpha-app', ticket.id);
  git(repo, 'worktree', 'add', '-q', '-b', branch, worktree, 'main');
  const baseSha = git(repo, 'rev-parse', 'main');
  const headSha = commitFiles(worktree, files, `${ticket.id}: ${ticket.title}`);
  const run = {
    id: `R-${ticket.id}`,
    startedAt: ws.store.now(),
    endedAt: ws.store.now(),
    worktree,
    branch,
    baseSha,
    headSha,
    owner: { pid: process.pid, host: hostname() },
    outcome: 'submitted' as const,
    usage: zeroUsage(),
    transcript: '',
  };
  ws.tickets.transition(ticket.id, 'dispatch', { by: 'dispatcher', patch: { runs: [run] } });
  return ws.tickets.transition(ticket.id, 'submit', { by: 'dispatcher' });
}

/** A doctor that always grades A (tests about the gate's own mechanics). */
export const gradeA = async () => ({ grade: 'A', passed: 20, total: 20, failing: [] });

/** The gate steps of the bus, as `step:status` strings. */
export function gateSteps(events: BusEvent[], ticket?: string): string[] {
  return events.filter((e) => e.type === 'gate.step' && (!ticket || e.ticket === ticket)).map((e) => `${String(e.step)}:${String(e.status)}${e.name ? `:${String(e.name)}` : ''}`);
}
