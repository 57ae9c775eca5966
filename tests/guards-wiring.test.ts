import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toolChainFor } from '../src/agents/confinement.js';
import { executorSystemPrompt } from '../src/agents/prompt.js';
import { checkPathAccess } from '../src/guards/pathPolicy.js';
import type { ToolContext } from '../src/guards/types.js';
import { openWorkspace } from '../src/workspace/open.js';
import { makeRepo, makeWorkspace } from './helpers/workspace.js';

/*
 * Nothing here installs anything first: this file's module graph is fresh, and
 * the guards must already be in force wherever an agent can act.
 */
describe('the guards are there by construction', () => {
  it("a workspace's tool chain, the file tools' path check and every prompt carry the guards without any setup call", async () => {
    // A siloed second brand: its folder is behind a wall for the first.
    const home = makeWorkspace({
      brands: [
        { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
        { id: 'beta', name: 'Beta', silo: true, repos: [{ id: 'beta-app', path: 'repos/beta-app' }] },
      ],
    });
    const alphaRoot = makeRepo(path.join(home, 'repos/alpha-app'));
    makeRepo(path.join(home, 'repos/beta-app'));
    const ws = await openWorkspace(home);
    const beta = ws.registry.brands.find((b) => b.id === 'beta')!;
    const context: ToolContext = { paths: ws.paths, registry: ws.registry, root: alphaRoot, cwd: alphaRoot, brand: 'alpha', repo: 'alpha-app', agent: 'executor', sessionId: 'S-1' };

    const chain = toolChainFor(ws);
    const names = chain.before.map((h) => h.name);
    expect(names.slice(0, 2)).toEqual(['worktree-confinement', 'tool-policy']);
    expect(names.join(' ')).toMatch(/ticket-state-guard/);
    // The ticket-state guard from the workspace's hooks refuses a write to the state file.
    const write = { id: 'c1', name: 'Write', input: { file_path: ws.paths.state, content: '{}' } };
    let verdict: string | null = null;
    for (const hook of chain.before) {
      const decision = await hook.before(write, context);
      if (decision && decision.verdict !== 'allow') {
        verdict = `${decision.verdict} by ${decision.guard}`;
        break;
      }
    }
    expect(verdict).toMatch(/^deny by /);

    // Silo layer 4 in the path check every file tool makes (a root wide enough that confinement alone would allow it).
    const betaFile = path.join(home, beta.repos[0]!.path, 'README.md');
    expect(checkPathAccess({ ...context, root: home }, path.join(alphaRoot, 'README.md'), 'read').ok).toBe(true);
    const access = checkPathAccess({ ...context, root: home }, betaFile, 'read');
    expect(access.ok).toBe(false);
    expect(access.ok ? '' : access.reason).toMatch(/behind a silo wall/);

    // Silo layer 2 in the prompt.
    const prompt = executorSystemPrompt({ role: 'You are the executor.' } as never, context, { branch: 'master/T-1', mainBranch: 'main', baseSha: 'a'.repeat(40) });
    expect(prompt).toContain(beta.id);
    await ws.store.close();
  });
});
