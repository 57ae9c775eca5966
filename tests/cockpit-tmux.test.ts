import { execFileSync, spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BIN, master, tempDir } from './helpers/cli.js';

/**
 * The cockpit in a real terminal: tmux runs `master` on the demo workspace,
 * keys are sent as a person types them, and the screen is read back.
 */
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const sockets: string[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) spawnSync('tmux', ['-L', socket, 'kill-server']);
});

function terminal(columns: number, rows: number, home: string) {
  const socket = `master-cockpit-${process.pid}-${columns}x${rows}`;
  sockets.push(socket);
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  // CI=1 on purpose: only --ci means headless; the cockpit still draws in a real terminal.
  const command = `CI=1 MASTER_HOME= ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} --home ${JSON.stringify(home)}; echo "EXITED $?"; sleep 600`;
  tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), command);
  const screen = () => tmux('capture-pane', '-p', '-t', '0');
  const alternate = () => tmux('display-message', '-p', '-t', '0', '#{alternate_on}').trim();
  /** Polls the screen (bounded) until it shows what is expected. */
  const waitFor = (expected: string | RegExp, timeout = 120_000) =>
    vi.waitFor(
      () => {
        const text = screen();
        if (typeof expected === 'string' ? !text.includes(expected) : !expected.test(text)) throw new Error(`the terminal does not show ${String(expected)}:\n${text}`);
        return text;
      },
      { timeout, interval: 100 },
    );
  const keys = (...k: string[]) => tmux('send-keys', '-t', '0', ...k);
  return { screen, alternate, waitFor, keys };
}

async function approveToMergedAndQuit(columns: number, rows: number) {
  const home = tempDir('cockpit-demo-');
  expect(master(['demo', '--dir', home]).code).toBe(0);
  const term = terminal(columns, rows, home);
  await term.waitFor('approve T-4');
  expect(term.alternate()).toBe('1');
  const first = term.screen();
  expect(first).toContain('Add a usage section to the README');
  expect(first).toMatch(/VioletStudios/);
  // The live region fits: the header is still the top row (nothing scrolled), the footer the last.
  const lines = first.replace(/\n$/, '').split('\n');
  expect(lines).toHaveLength(rows);
  expect(lines[0]).toMatch(/^master /);
  expect(lines.slice(-2).join(' ')).toContain('q quit');
  term.keys('y');
  await term.waitFor('T-4 approve: now ready');
  // T-4 goes through the gate bar to merged.
  await term.waitFor(/T-4 merged violet-tools@[0-9a-f]{10} candidate✓ test✓/, 240_000);
  // The pass ends; q then quits without asking (nothing runs).
  await term.waitFor('(idle)');
  term.keys('q');
  await term.waitFor(/EXITED 0/, 60_000);
  // The terminal is back on its normal screen, with none of the cockpit left on it.
  expect(term.alternate()).toBe('0');
  expect(term.screen()).not.toContain('merge gate');
  const list = master(['ticket', 'list', '--home', home, '--json']);
  const t4 = (JSON.parse(list.stdout) as Array<{ id: string; state: string }>).find((t) => t.id === 'T-4');
  expect(t4?.state).toBe('merged');
}

describe.skipIf(!hasTmux)('the cockpit in a real terminal (tmux)', () => {
  it('opens full screen on the demo, y approves a ticket that reaches merged through the gate bar, q restores the terminal', async () => {
    await approveToMergedAndQuit(160, 50);
  }, 420_000);

  it('works the same at 80×24', async () => {
    await approveToMergedAndQuit(80, 24);
  }, 420_000);
});
