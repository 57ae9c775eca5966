import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { Header } from '../components/Header.js';
import { dispatch } from '../src/agents/dispatcher.js';
import { openModel } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { CockpitModel } from '../src/cockpit/model.js';
import { calendarDay } from '../src/calendar.js';
import { FAST_RETRY, makeAgentWorkspace } from './helpers/agents.js';

const cleanup: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0).reverse()) await done();
});

describe("the cockpit's header says why a budget holds dispatch back", () => {
  it('shows the brand and the reason dispatch gave while its ticket waits, and drops it once the run starts', async () => {
    const script: ModelScript = {
      tickets: {
        'Alpha work': [
          {
            tools: [
              { name: 'Write', input: { file_path: 'done.txt', content: 'done\n' } },
              { name: 'Finish', input: { summary: 'done' } },
            ],
          },
        ],
      },
    };
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }, { id: 'beta' }], script, files: { 'README.md': '# app\n' } });
    ws.registry.brands[0]!.budget = { day: { maxCostUsd: 1 } };
    ws.store.record({
      type: 'usage.recorded',
      ticket: 'T-0',
      brand: 'alpha',
      run: 'R-0',
      day: calendarDay(ws.store.clock(), ws.registry.timezone),
      usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: 1 },
    });
    const model = await openModel(ws.registry, home, { script });
    cleanup.push(() => model.close());
    // The cockpit follows the real bus; its frame timer never fires on its own here, flush() publishes.
    const cockpit = new CockpitModel(ws, { frameMs: 1_000_000 });
    cockpit.attach(bus);
    cleanup.push(() => cockpit.close());
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Alpha work', state: 'ready' });

    await dispatch({ ws, bus, sessionId: 'S-1', model, retry: FAST_RETRY });
    cockpit.flush();
    const held = cockpit.getSnapshot();
    const reason = ws.tickets.get(ticket.id).hold!.reason;
    expect(held.budgetHolds).toEqual([{ brand: 'alpha', reason }]);
    const frame = render(<Header snapshot={held} />);
    cleanup.push(() => frame.unmount());
    expect(frame.lastFrame()).toContain('⏸ budget alpha: brand alpha has $0 of its $1 daily budget left');
    expect(frame.lastFrame()).not.toContain('budget beta');

    // A higher limit lets the run start: the hold goes and so does the header's line.
    ws.registry.brands[0]!.budget = { day: { maxCostUsd: 100 } };
    await dispatch({ ws, bus, sessionId: 'S-2', model, retry: FAST_RETRY });
    cockpit.flush();
    expect(ws.tickets.get(ticket.id).state).toBe('review');
    const freed = cockpit.getSnapshot();
    expect(freed.budgetHolds).toEqual([]);
    frame.rerender(<Header snapshot={freed} />);
    expect(frame.lastFrame()).not.toContain('budget');
  });
});
