import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import type { CockpitController } from '../src/cockpit/controller.js';
import { openWorkspace } from '../src/workspace/open.js';
import { makeWorkspace } from '../tests/helpers/workspace.js';
import { ms, stats, type Section } from './lib.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'dist', 'master.js');

/** A terminal that only counts what is drawn on it. */
class VirtualTerminal extends EventEmitter {
  readonly isTTY = true;
  columns = 160;
  rows = 50;
  bytes = 0;
  write = (chunk: string) => {
    this.bytes += chunk.length;
    return true;
  };
}

class QuietKeyboard extends EventEmitter {
  readonly isTTY = true;
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read = () => null;
}

/**
 * 8 agents stream 500 events a second in total for 10 s into the cockpit
 * drawn on a virtual terminal: frames a second, CPU-seconds per second, and
 * events lost (the model must have seen every one, the log kept every logged one).
 */
export async function cockpitLoadBench(): Promise<Section> {
  // Ink decides at import whether it may draw; the virtual terminal is a terminal.
  delete process.env.CI;
  const [{ render }, { App }, { CockpitProvider }, { CockpitController: Controller }] = await Promise.all([
    import('ink'),
    import('../components/App.js'),
    import('../components/use/cockpit.js'),
    import('../src/cockpit/controller.js'),
  ]);
  const brands = Array.from({ length: 8 }, (_, i) => ({ id: `brand-${i}`, name: `Brand ${i}`, repos: [{ id: `app-${i}`, path: `repos/app-${i}` }] }));
  const home = makeWorkspace({ brands });
  const ws = await openWorkspace(home);
  const controller: CockpitController = new Controller(ws, { passOnOpen: false, autoPass: false });
  controller.open();
  const tickets = brands.map((b) => ws.tickets.create({ brand: b.id, repo: b.repos[0]!.id, title: `Agent work for ${b.name}`, state: 'ready' }));
  for (const t of tickets) {
    ws.tickets.transition(t.id, 'dispatch', { by: 'dispatcher' });
    ws.store.commit(() => ({ events: [{ type: 'run.started', ticket: t.id, run: `R-${t.id}` }], result: undefined }));
  }
  const terminal = new VirtualTerminal();
  let frames = 0;
  let renderMs = 0;
  const load = loadavg()[0]!;
  const instance = render(
    <CockpitProvider controller={controller}>
      <App onQuit={() => {}} />
    </CockpitProvider>,
    {
      stdout: terminal as unknown as NodeJS.WriteStream,
      stdin: new QuietKeyboard() as unknown as NodeJS.ReadStream,
      patchConsole: false,
      exitOnCtrlC: false,
      maxFps: 30,
      onRender: ({ renderTime }) => {
        frames++;
        renderMs += renderTime;
      },
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));

  const RATE = 500;
  const SECONDS = 10;
  const seenBefore = controller.model.getSnapshot().eventsSeen;
  let published = 0;
  let logged = 0;
  const framesBefore = frames;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const pending: Array<{ type: 'guard.decision'; [key: string]: unknown }> = [];
  const writeBatch = () => {
    if (pending.length) ws.store.record(...pending.splice(0));
  };
  const batches = setInterval(writeBatch, 100);
  const emit = (n: number) => {
    const ticket = tickets[n % tickets.length]!;
    const kind = n % 10;
    if (kind === 9) {
      // One in ten is a guard decision: logged (durable, in batches as the guard audit writes them) and published.
      pending.push({ type: 'guard.decision', ticket: ticket.id, brand: ticket.brand, tool: 'Bash', guard: 'deny-rules', verdict: 'deny', reason: `bench ${n}` });
      logged++;
    } else if (kind === 7) controller.bus.publish({ type: 'tool.call', ticket: ticket.id, agent: 'executor', id: `c${n}`, tool: 'Read', input: { file_path: `src/file${n}.ts` } });
    else if (kind === 8) controller.bus.publish({ type: 'tool.result', ticket: ticket.id, agent: 'executor', id: `c${n - 1}`, tool: 'Read', isError: false, content: 'ok', ms: 1 });
    else controller.bus.publish({ type: 'agent.text', ticket: ticket.id, agent: 'executor', text: `token ${n} ` });
    published++;
  };
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = (performance.now() - started) / 1000;
      const due = Math.min(RATE * SECONDS, Math.floor(elapsed * RATE));
      while (published < due) emit(published);
      if (published >= RATE * SECONDS) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  clearInterval(batches);
  writeBatch();
  const wall = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  controller.model.flush();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const seen = controller.model.getSnapshot().eventsSeen - seenBefore;
  const inLog = readdirSync(ws.paths.events)
    .map((f) => readFileSync(path.join(ws.paths.events, f), 'utf8'))
    .join('')
    .split('\n')
    .filter((line) => line.includes('"type":"guard.decision"') && line.includes('"reason":"bench ')).length;
  instance.unmount();
  await controller.quit();

  const fps = (frames - framesBefore) / wall;
  const cpuPerSecond = (cpu.user + cpu.system) / 1e6 / wall;
  const lostState = published - seen;
  const lostLog = logged - inLog;
  const met = cpuPerSecond <= 0.5 && fps <= 31 && lostState === 0 && lostLog === 0;
  return {
    id: 'cockpit-load',
    title: 'Cockpit render load: 8 agents, 500 events/s for 10 s, virtual terminal 160×50',
    target: '≤ 0.5 CPU-s per s of load, ≤ 30 frames/s, 0 events lost in state and log',
    verdict: met ? 'met' : 'missed',
    rows: [
      {
        events: String(published),
        'logged (fsynced)': String(logged),
        'frames/s': fps.toFixed(1),
        'CPU-s per s': cpuPerSecond.toFixed(3),
        'lost in state': String(lostState),
        'lost in log': String(lostLog),
        'Ink render ms/frame (wall)': ms(renderMs / Math.max(1, frames)),
        'bytes drawn/s': String(Math.round(terminal.bytes / wall)),
      },
    ],
    notes: `One process: the events are generated, one in ten is a guard decision committed to the event log in batches every 100 ms, as the guard audit writes them (write lock, append, fdatasync), all published on the bus, coalesced by the cockpit model to at most one snapshot a frame and drawn by Ink. CPU is the whole process. Frames a second are bounded by the model (≤ 30) and by the CPU share the process gets: the load average was ${load.toFixed(1)} on this machine during the run.`,
  };
}

/** The environment of an operator's terminal: no CI variable (Ink would not draw), no workspace override. */
function terminalEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
  delete env.CI;
  delete env.CONTINUOUS_INTEGRATION;
  delete env.MASTER_HOME;
  return env;
}

/** Time from spawn to the first frame on a real pseudo-terminal (`script`), in ms. */
function firstFrame(args: string[], marker: string): Promise<number> {
  return new Promise((resolve, reject) => {
    // The pseudo-terminal gets a real size first (without one, Ink wraps at column 0).
    const command = `stty cols 160 rows 50; exec ${[process.execPath, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')}`;
    const started = performance.now();
    const child = spawn('script', ['-qfec', command, '/dev/null'], { detached: true, stdio: ['pipe', 'pipe', 'ignore'], env: terminalEnv() });
    let output = '';
    let done = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!done && output.includes(marker)) {
        done = true;
        const elapsed = performance.now() - started;
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
        resolve(elapsed);
      }
    });
    child.on('exit', () => {
      if (!done) reject(new Error(`no frame with "${marker}": ${output.slice(0, 300)}`));
    });
  });
}

/** Launch to first frame of `master` (the cockpit) as a ratio to a minimal Ink hello program, both on a pty. */
export async function cockpitLaunchBench(): Promise<Section> {
  const dir = mkdtempSync(path.join(tmpdir(), 'master-bench-launch-'));
  const hello = path.join(ROOT, 'bench', '.ink-hello.mjs');
  writeFileSync(hello, "import { render, Text } from 'ink';\nimport { createElement } from 'react';\nrender(createElement(Text, null, 'hello from ink'));\nsetTimeout(() => process.exit(0), 5000);\n");
  const home = path.join(dir, 'ws');
  await new Promise<void>((resolve, reject) => spawn(process.execPath, [BIN, 'init', home], { stdio: 'ignore' }).on('exit', (code) => (code === 0 ? resolve() : reject(new Error('init failed')))));
  const a: number[] = [];
  const b: number[] = [];
  await firstFrame([hello], 'hello from ink');
  await firstFrame([BIN, '--home', home], 'merge gate');
  for (let i = 0; i < 9; i++) {
    b.push(await firstFrame([hello], 'hello from ink'));
    a.push(await firstFrame([BIN, '--home', home], 'merge gate'));
  }
  const subject = stats(a).p50;
  const baseline = stats(b).p50;
  const ratio = subject / baseline;
  return {
    id: 'cockpit-launch',
    title: 'Cockpit launch to first frame, as a ratio to a minimal Ink hello program',
    target: '≤ 1.3×',
    verdict: ratio <= 1.3 ? 'met' : 'missed',
    rows: [{ 'master (cockpit) median (ms)': ms(subject), 'Ink hello median (ms)': ms(baseline), ratio: `${ratio.toFixed(2)}×` }],
    notes: 'Both spawned on a pseudo-terminal (`script`), timed from spawn to the first frame that shows their text; medians of 9 interleaved runs.',
  };
}
