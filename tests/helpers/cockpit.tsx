import { render } from 'ink-testing-library';
import { vi } from 'vitest';
import { App } from '../../components/App.js';
import { CockpitProvider } from '../../components/use/cockpit.js';
import { CockpitController, type CockpitOptions } from '../../src/cockpit/controller.js';
import { openWorkspace } from '../../src/workspace/open.js';

export const KEYS = { esc: '\u001B', enter: '\r', tab: '\t', down: '\u001B[B', up: '\u001B[A', ctrlC: '\u0003' } as const;

/** The cockpit on a real workspace, drawn by ink-testing-library at a fixed size. */
export async function mountCockpit(home: string, options: CockpitOptions = {}, size = { columns: 140, rows: 45 }) {
  const ws = await openWorkspace(home);
  const controller = new CockpitController(ws, { frameMs: 5, pollMs: 100, passOnOpen: false, autoPass: false, ...options });
  let quitted = false;
  const view = render(
    <CockpitProvider controller={controller}>
      <App onQuit={() => (quitted = true)} size={size} />
    </CockpitProvider>,
  );
  controller.open();
  const frame = () => view.lastFrame() ?? '';
  /** Waits (bounded) until the screen shows the text. */
  const waitFor = (text: string | RegExp, timeout = 5_000) =>
    vi.waitFor(
      () => {
        const f = frame();
        if (typeof text === 'string' ? !f.includes(text) : !text.test(f))
          throw new Error(
            `the screen does not show ${String(text)}:\n${f
              .split('\n')
              .filter((l) => l.trim())
              .join('\n')}`,
          );
      },
      { timeout, interval: 10 },
    );
  /** Types keys one at a time, each after the screen has taken the previous one. */
  const press = async (...keys: string[]) => {
    for (const key of keys) {
      view.stdin.write(key);
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const close = async () => {
    await controller.quit();
    view.unmount();
  };
  return { ws, controller, view, frame, waitFor, press, close, quitted: () => quitted };
}
