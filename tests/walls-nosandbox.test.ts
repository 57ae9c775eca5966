import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch, summarizeDispatch } from '../src/agents/dispatcher.js';
import { resetSandboxProbe, sandboxStatus } from '../src/sandbox/index.js';
import { openWorkspace } from '../src/workspace/open.js';
import { makeAgentWorkspace } from './helpers/agents.js';
import { master } from './helpers/cli.js';

/**
 * No sandbox, no agents: where bubblewrap cannot run (here: a `bwrap` first
 * on PATH that fails the way a kernel without user namespaces makes it
 * fail), agent and script tickets stay ready with the reason said once;
 * `"sandbox": "off"` in registry.json lets them run, and the session report
 * says so plainly.
 */
const originalPath = process.env.PATH;

function brokenBwrapPath(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'master-nobwrap-'));
  const file = path.join(dir, 'bwrap');
  writeFileSync(file, '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n');
  chmodSync(file, 0o755);
  return `${dir}${path.delimiter}${originalPath}`;
}

afterEach(() => {
  process.env.PATH = originalPath;
  resetSandboxProbe();
});

describe('no sandbox, no agents', () => {
  it('keeps agent and script tickets ready with the reason said once; "sandbox": "off" runs them and every report says so', async () => {
    const broken = brokenBwrapPath();
    process.env.PATH = broken;
    resetSandboxProbe();
    expect(sandboxStatus()).toMatchObject({ available: false, reason: expect.stringContaining('Permission denied') });

    const { home, ws, bus, events } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' } });
    const script = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Script', kind: 'script', run: ['echo hi > out.txt'], state: 'ready' });
    const agent = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Agent', state: 'ready' });
    const report = await dispatch({ ws, bus, sessionId: 'S-1' });
    expect(report.runs).toEqual([]);
    expect(ws.tickets.get(script.id).state).toBe('ready');
    expect(ws.tickets.get(agent.id).state).toBe('ready');
    expect(report.waiting).toMatch(/no OS sandbox: bubblewrap \(bwrap\) does not work here.*"sandbox": "off"/);
    expect(events.filter((e) => e.type === 'dispatch.waiting')).toHaveLength(1);
    expect(summarizeDispatch(report)).toContain('no OS sandbox');

    // The same through the CLI: the session waits, the doctor grades below A.
    const session = master(['start', '--ci'], { env: { MASTER_HOME: home, PATH: broken } });
    expect(session.stdout).toContain('no OS sandbox');
    expect(session.stdout).toMatch(/doctor [B-F] /);
    await ws.store.close();

    // The operator accepts the risk.
    const registryFile = path.join(home, 'registry.json');
    writeFileSync(registryFile, JSON.stringify({ ...JSON.parse(readFileSync(registryFile, 'utf8')), sandbox: 'off' }, null, 2));
    const off = master(['start', '--ci'], { env: { MASTER_HOME: home, PATH: broken } });
    expect(off.stdout).toContain('the OS sandbox is OFF');
    const reopened = await openWorkspace(home);
    expect(reopened.tickets.get(script.id).state).toBe('review');
    await reopened.store.close();
    expect(readFileSync(path.join(home, 'repos/alpha-app/.git/refs/heads/master', script.id), 'utf8')).toMatch(/^[0-9a-f]{40}/);
  }, 120_000);
});
