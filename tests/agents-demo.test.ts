import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { Bus, type BusEvent } from '../src/bus/index.js';
import { DEMO_AGENT_SCRIPT } from '../src/demo/agentScripts.js';
import { DEMO_TICKETS, setUpDemo } from '../src/demo/index.js';
import { openWorkspace } from '../src/workspace/open.js';
import { tempDir } from './helpers/cli.js';

describe('the demo with the scripted demo model', () => {
  it('has an executor script for every seeded agent ticket and a verifier script for every ticket', () => {
    const keys = Object.keys(DEMO_AGENT_SCRIPT.tickets);
    const agentTitles = DEMO_TICKETS.filter((t) => t.kind === 'agent')
      .map((t) => t.title)
      .sort();
    expect(keys.filter((k) => !k.startsWith('Verify: ')).sort()).toEqual(agentTitles);
    expect(keys.filter((k) => k.startsWith('Verify: ')).sort()).toEqual(DEMO_TICKETS.map((t) => `Verify: ${t.title}`).sort());
  });

  it('runs every seeded agent ticket end to end with no key: real fixes, committed, checks green on each branch', async () => {
    const home = path.join(tempDir('master-demo-agents-'), 'ws');
    await setUpDemo({ dir: home });
    const bus = new Bus();
    const events: BusEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const ws = await openWorkspace(home, { bus });
    try {
      const agents = ws.tickets.list().filter((t) => t.kind === 'agent');
      for (const t of agents.filter((t) => t.state === 'triage')) ws.tickets.transition(t.id, 'approve');
      await dispatch({ ws, bus, sessionId: 'S-1', env: { ANTHROPIC_API_KEY: '' } });
      for (const ticket of agents.map((t) => ws.tickets.get(t.id))) {
        expect({ id: ticket.title, state: ticket.state, reason: ticket.runs.at(-1)?.reason }).toEqual({ id: ticket.title, state: 'review', reason: undefined });
        const worktree = ticket.runs.at(-1)!.worktree;
        // The branch as committed passes the repo's own checks.
        execFileSync('git', ['diff', '--quiet', 'HEAD'], { cwd: worktree });
        execFileSync('node', ['--test'], { cwd: worktree, stdio: 'pipe' });
        execFileSync('node', ['scripts/lint.mjs'], { cwd: worktree, stdio: 'pipe' });
      }
      expect(events.find((e) => e.type === 'dispatch.model')?.via).toBe('scripted demo model');
    } finally {
      await ws.store.close();
    }
  });
});
