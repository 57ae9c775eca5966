import { render } from 'ink';
import type { CockpitController } from '../src/cockpit/controller.js';
import { App } from './App.js';
import { CockpitProvider } from './use/cockpit.js';

const ENTER_ALT_SCREEN = '\u001B[?1049h\u001B[H';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';

export interface OpenOptions {
  stdout?: NodeJS.WriteStream;
  stdin?: NodeJS.ReadStream;
  stderr?: NodeJS.WriteStream;
}

/**
 * Opens the cockpit full screen (the alternate screen buffer) and resolves
 * with the exit code once the operator quit. The terminal is restored on
 * every way out: `q`, Ctrl-C, SIGTERM/SIGHUP, and a crash.
 */
export async function openCockpit(controller: CockpitController, options: OpenOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(SHOW_CURSOR + LEAVE_ALT_SCREEN);
  };
  stdout.write(ENTER_ALT_SCREEN);
  let exitCode = 0;
  let resolveQuit: () => void = () => {};
  const quitted = new Promise<void>((resolve) => (resolveQuit = resolve));

  const instance = render(
    <CockpitProvider controller={controller}>
      <App onQuit={() => resolveQuit()} />
    </CockpitProvider>,
    { stdout, stdin: options.stdin ?? process.stdin, stderr, exitOnCtrlC: false, patchConsole: true, maxFps: 30 },
  );

  const onSignal = (signal: NodeJS.Signals) => {
    exitCode = signal === 'SIGTERM' ? 143 : 129;
    void controller.quit(`stopped: the cockpit got ${signal}`).then(() => resolveQuit());
  };
  const onCrash = (error: unknown) => {
    instance.unmount();
    restore();
    stderr.write(`master: the cockpit crashed: ${error instanceof Error ? error.message : String(error)}\n`);
    if (process.env.MASTER_DEBUG && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
    process.exit(1);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  process.on('exit', restore);
  controller.open();
  try {
    // A render error ends Ink's instance: that is a crash too.
    await Promise.race([quitted, instance.waitUntilExit().then(() => quitted)]);
  } catch (error) {
    await controller.quit('stopped: the cockpit crashed').catch(() => {});
    onCrash(error);
  } finally {
    instance.unmount();
    restore();
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    process.off('exit', restore);
  }
  return exitCode;
}
