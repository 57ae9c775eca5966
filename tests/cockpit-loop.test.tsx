import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { tempDir } from './helpers/cli.js';
import { KEYS, mountCockpit } from './helpers/cockpit.js';
import { makeRepo, makeWorkspace } from './helpers/workspace.js';

type Mounted = Awaited<ReturnType<typeof mountCockpit>>;
let mounted: Mounted | null = null;
const barriers: string[] = [];
afterEach(async () => {
  // Let any waiting script end, then stop the cockpit.
  for (const barrier of barriers.splice(0)) writeFileSync(barrier, '');
  await mounted?.close();
  mounted = null;
});

/** A workspace of two brands on the scripted model; `slow` runs a script that waits for a barrier file. */
function loopWorkspace(script: ModelScript): { home: string; barrier: string } {
  const home = makeWorkspace({
    brands: [
      { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
      { id: 'beta', name: 'Beta', repos: [{ id: 'beta-app', path: 'repos/beta-app' }] },
    ],
    models: { provider: 'scripted', default: 'scripted-demo', script: 'model-script.json' },
  });
  makeRepo(path.join(home, 'repos/alpha-app'));
  makeRepo(path.join(home, 'repos/beta-app'));
  writeFileSync(path.join(home, 'model-script.json'), JSON.stringify(script));
  const barrier = path.join(tempDir('barrier-'), 'go');
  barriers.push(barrier);
  return { home, barrier };
}

const waitLoop = (check: () => void) => vi.waitFor(check, { timeout: 30_000, interval: 20 });

describe('the cockpit runs the loop live', () => {
  it('a question raised mid-dispatch is asked at once; answering it gets the ticket dispatched again in the same pass', async () => {
    const { home, barrier } = loopWorkspace({
      tickets: {
        'Name the tool': [
          { text: 'I need a name.', tools: [{ name: 'AskOperator', input: { question: 'Call it zed?' } }] },
          {
            tools: [
              { name: 'Write', input: { file_path: 'NAME', content: 'zed\n' } },
              { name: 'Finish', input: { summary: 'named it zed' } },
            ],
          },
        ],
      },
    });
    mounted = await mountCockpit(home, { passOnOpen: false, only: 'dispatch' });
    const { ws, controller, waitFor, press } = mounted;
    const slow = ws.tickets.create({
      brand: 'beta',
      repo: 'beta-app',
      title: 'Wait for the barrier',
      kind: 'script',
      run: [`while [ ! -f ${barrier} ]; do sleep 0.05; done; echo done > DONE`],
      state: 'ready',
    });
    const asking = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Name the tool', state: 'ready' });
    controller.startPass();

    await waitFor('? Q-1', 30_000);
    expect(mounted.frame()).toContain('Call it zed?');
    expect(ws.tickets.get(asking.id).state).toBe('blocked');
    expect(ws.tickets.get(slow.id).state).toBe('running');
    await press('y');
    await waitLoop(() => expect(ws.tickets.get(asking.id).state).toBe('review'));
    // The other agent still runs: the same dispatch took the unblocked ticket, no new session started.
    expect(ws.tickets.get(slow.id).state).toBe('running');
    expect(ws.tickets.get(asking.id).runs.map((r) => r.outcome)).toEqual(['blocked', 'submitted']);
    expect(ws.store.state.questions['Q-1']).toMatchObject({ answer: 'yes' });
    expect(ws.store.state.sessions).toHaveLength(1);
    writeFileSync(barrier, '');
    await controller.idle();
    expect(ws.tickets.get(slow.id).state).toBe('review');
  });

  it('q with an agent running asks first; y puts it back to ready, keeps its worktree, ends the session and releases the lock', async () => {
    const { home, barrier } = loopWorkspace({ tickets: {} });
    mounted = await mountCockpit(home, { passOnOpen: false, only: 'dispatch' });
    const { ws, controller, waitFor, press, quitted } = mounted;
    const slow = ws.tickets.create({
      brand: 'beta',
      repo: 'beta-app',
      title: 'Wait for the barrier',
      kind: 'script',
      run: [`while [ ! -f ${barrier} ]; do sleep 0.05; done; echo done > DONE`],
      state: 'ready',
    });
    controller.startPass();
    await waitFor(`▶ ${slow.id}`);
    await press('q');
    await waitFor('1 agent(s) running: stop them (back to ready) and quit?');
    await press('n');
    await waitFor(`▶ ${slow.id}`);
    expect(mounted.frame()).not.toContain('stop them');
    expect(ws.tickets.get(slow.id).state).toBe('running');
    await press('q');
    await waitFor('stop them');
    await press('y');
    await expect.poll(quitted, { timeout: 30_000, interval: 20 }).toBe(true);

    const ticket = ws.tickets.get(slow.id);
    expect(ticket.state).toBe('ready');
    expect(ticket.history.at(-1)).toMatchObject({ event: 'requeue' });
    expect(existsSync(ticket.runs.at(-1)!.worktree)).toBe(true);
    expect(ws.store.state.sessions.at(-1)).toMatchObject({ outcome: 'ok' });
    expect(ws.store.state.sessions.at(-1)!.endedAt).toBeDefined();
    expect(existsSync(ws.paths.sessionLock)).toBe(false);
    mounted = null;
  });

  it('Ctrl-C stops at once without asking, the same way', async () => {
    const { home, barrier } = loopWorkspace({ tickets: {} });
    mounted = await mountCockpit(home, { passOnOpen: false, only: 'dispatch' });
    const { ws, controller, waitFor, press, quitted } = mounted;
    const slow = ws.tickets.create({
      brand: 'alpha',
      repo: 'alpha-app',
      title: 'Wait for the barrier',
      kind: 'script',
      run: [`while [ ! -f ${barrier} ]; do sleep 0.05; done; echo done > DONE`],
      state: 'ready',
    });
    controller.startPass();
    await waitFor(`▶ ${slow.id}`);
    await press(KEYS.ctrlC);
    await expect.poll(quitted, { timeout: 30_000, interval: 20 }).toBe(true);
    expect(ws.tickets.get(slow.id).state).toBe('ready');
    expect(existsSync(ws.paths.sessionLock)).toBe(false);
    mounted = null;
  });

  it('a ticket approved while no pass runs starts one, and enter opens its live transcript', async () => {
    const { home } = loopWorkspace({
      tickets: {
        'Say hello': [
          {
            text: 'Writing the greeting.',
            tools: [
              { name: 'Write', input: { file_path: 'HELLO', content: 'hi\n' } },
              { name: 'Finish', input: { summary: 'said hello' } },
            ],
          },
        ],
      },
    });
    mounted = await mountCockpit(home, { passOnOpen: false, autoPass: true, only: 'dispatch' });
    const { ws, controller, waitFor, press } = mounted;
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Say hello' });
    await waitFor(`approve ${ticket.id}`);
    await press('y');
    await waitLoop(() => expect(ws.tickets.get(ticket.id).state).toBe('review'));
    await controller.idle();
    await press('1', KEYS.enter);
    await waitFor(`transcript ${ticket.id}`);
    await waitFor('Writing the greeting.');
    expect(mounted.frame()).toMatch(/tool\s+Write HELLO/);
    expect(mounted.frame()).toMatch(/result\s+Write ok/);
    await press(KEYS.esc);
    await waitFor('Alpha');
  });
});
