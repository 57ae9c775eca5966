import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { openModel, type ModelEndpoint } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { sandboxStatus } from '../src/guards/silo/sandbox.js';
import { BIN, master, ROOT, tempDir } from './helpers/cli.js';
import { git, makeWorkspaceWithFolders } from './helpers/workspace.js';
import { ensureToken } from '../src/mcp/http.js';
import { spawn } from 'node:child_process';
import { makeAgentWorkspace } from './helpers/agents.js';

const SERVER = path.join(ROOT, 'tests', 'fixtures', 'mcp-notes-server.mjs');

let model: ModelEndpoint | null = null;
afterEach(async () => {
  await model?.close();
  model = null;
});

// The probe path names the workspace, which exists only once the registry is written: resolved through a getter.
const homes = new Map<string, string>();
function homeOf(scratch: string): string {
  return homes.get(scratch) ?? path.join(scratch, 'unknown-home');
}

/** Processes whose command line holds this text (Linux: /proc), e.g. a test's tagged server. */
function processesWith(text: string): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(text) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('mcp-notes-server');
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A brand alpha whose registry lists the notes server; the operator's deny rule forbids its wipe tool. */
async function notesWorkspace(script: ModelScript, serverEnv: Record<string, string> = {}) {
  const scratch = tempDir('master-notes-');
  const marker = path.join(scratch, 'wiped');
  const pidFile = path.join(scratch, 'pid');
  const agent = await makeAgentWorkspace({
    brands: [{ id: 'alpha' }],
    files: { 'README.md': '# app\n' },
    registry: {
      // The server writes its pid (and the wipe marker) into the scratch folder: the sandbox must let it.
      sandbox: { writable: [scratch] },
      brands: [
        {
          id: 'alpha',
          name: 'Alpha',
          repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }],
          // The scratch folder as an extra argument tags this test's server process.
          mcpServers: {
            notes: {
              command: process.execPath,
              args: [SERVER, scratch],
              env: { NOTES_MARKER: marker, NOTES_PID_FILE: pidFile, NOTES_PROBE: path.join(homeOf(scratch), '.master', 'probe'), ...serverEnv },
            },
          },
        },
      ],
    } as never,
  });
  const rules = path.join(agent.home, 'hooks', 'deny-rules.json');
  const hook = JSON.parse(readFileSync(rules, 'utf8')) as { rules: string[] };
  hook.rules.push('mcp__notes__wipe');
  writeFileSync(rules, JSON.stringify(hook, null, 2));
  // The hooks are read when the chain is built (by dispatch), after this.
  model = await openModel(agent.ws.registry, agent.home, { script, recordRequests: true });
  homes.set(scratch, agent.home);
  return { ...agent, marker, pidFile, scratch };
}

describe("agents use their brand's MCP servers", () => {
  it("an executor calls a tool of the brand's server as mcp__notes__echo; a deny rule stops mcp__notes__wipe before it reaches the server; the server stops with the run", async () => {
    const script: ModelScript = {
      tickets: {
        'Take notes': [
          {
            tools: [
              { name: 'mcp__notes__echo', input: { text: 'hello' } },
              { name: 'mcp__notes__wipe', input: { confirm: true } },
            ],
          },
          {
            tools: [
              { name: 'Write', input: { file_path: 'notes.txt', content: 'noted\n' } },
              { name: 'Finish', input: { summary: 'took notes' } },
            ],
          },
        ],
      },
    };
    const { ws, bus, events, marker, scratch, home } = await notesWorkspace(script);
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Take notes', state: 'ready' });
    let running: number[] = [];
    bus.subscribe((e) => {
      if (e.type === 'tool.result' && e.tool === 'mcp__notes__echo') running = processesWith(scratch);
    });
    // A model key in master's environment must not reach the server.
    const savedKey = process.env.ANTHROPIC_API_KEY;
    process.env.ANTHROPIC_API_KEY = 'sk-test-not-for-tools';
    try {
      await dispatch({ ws, bus, sessionId: 'S-1', model });
    } finally {
      if (savedKey === undefined) delete process.env.ANTHROPIC_API_KEY;
      else process.env.ANTHROPIC_API_KEY = savedKey;
    }

    expect(ws.tickets.get(ticket.id).state).toBe('review');
    // The model was offered the server's tools under their MCP names, with the server's own schema.
    const first = model!.server!.requests[0]!.body as { tools: Array<{ name: string; input_schema: { properties: Record<string, unknown> } }> };
    const echo = first.tools.find((t) => t.name === 'mcp__notes__echo');
    expect(echo?.input_schema.properties).toHaveProperty('text');
    expect(first.tools.map((t) => t.name)).toContain('mcp__notes__wipe');

    const results = events.filter((e) => e.type === 'tool.result' && e.ticket === ticket.id) as unknown as Array<{ tool: string; content: string; isError: boolean; refusedBy?: string }>;
    const echoed = results.find((r) => r.tool === 'mcp__notes__echo')!;
    expect(echoed.isError).toBe(false);
    expect(echoed.content).toContain('echo: hello');
    // It ran in the ticket's worktree, without the model's credentials.
    expect(echoed.content).toContain(`cwd ${ws.tickets.get(ticket.id).runs[0]!.worktree}`);
    expect(echoed.content).toContain('model key absent');
    // Inside the OS sandbox where there is one: the workspace's control files are read-only to it.
    expect(echoed.content).toContain(sandboxStatus().available ? 'probe refused' : 'probe written');
    expect(existsSync(path.join(home, '.master', 'probe'))).toBe(!sandboxStatus().available);
    const wiped = results.find((r) => r.tool === 'mcp__notes__wipe')!;
    expect(wiped.isError).toBe(true);
    expect(wiped.refusedBy).toBe('deny-rules');
    expect(existsSync(marker)).toBe(false);
    // The server ran during the run and is gone after it.
    if (existsSync('/proc')) {
      expect(running.length).toBeGreaterThan(0);
      expect(processesWith(scratch)).toEqual([]);
    }
  });

  it('a server that dies mid-run: its tools return errors the agent sees, the run goes on', async () => {
    const script: ModelScript = {
      tickets: {
        'Crash it': [
          { tools: [{ name: 'mcp__notes__crash', input: {} }] },
          { tools: [{ name: 'mcp__notes__echo', input: { text: 'still there?' } }] },
          {
            tools: [
              { name: 'Write', input: { file_path: 'after.txt', content: 'carried on\n' } },
              { name: 'Finish', input: { summary: 'the notes server died; carried on without it' } },
            ],
          },
        ],
      },
    };
    const { ws, bus, events } = await notesWorkspace(script);
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Crash it', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', model });
    const results = events.filter((e) => e.type === 'tool.result' && e.ticket === ticket.id) as unknown as Array<{ tool: string; content: string; isError: boolean }>;
    expect(results.find((r) => r.tool === 'mcp__notes__crash')).toMatchObject({ isError: true });
    const after = results.find((r) => r.tool === 'mcp__notes__echo')!;
    expect(after.isError).toBe(true);
    expect(after.content).toMatch(/mcp__notes__echo (is unavailable|failed): .*(stopped|closed)/i);
    expect(ws.tickets.get(ticket.id).state).toBe('review');
  });

  it("a Streamable HTTP server (type http, with its bearer header): here another workspace's `master mcp --http`", async () => {
    // The tracker: a second workspace served over HTTP by a real `master mcp` process.
    const tracker = makeWorkspaceWithFolders({ brands: [{ id: 'ops', name: 'Ops', repos: [{ id: 'ops-app', path: 'repos/ops-app' }] }] } as never);
    expect(master(['ticket', 'add', '--brand', 'ops', '--repo', 'ops-app', '--title', 'Rotate the certificates'], { env: { MASTER_HOME: tracker } }).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'mcp', '--home', tracker, '--http', '0'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MASTER_HOME: '' } });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let buffered = '';
        child.stderr!.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const m = /serving (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(buffered);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`master mcp exited ${code}: ${buffered}`)));
      });
      const token = readFileSync(path.join(tracker, '.master', 'mcp-token'), 'utf8').trim();
      const script: ModelScript = {
        tickets: {
          'Check the tracker': [
            { tools: [{ name: 'mcp__tracker__tickets_list', input: {} }] },
            {
              tools: [
                { name: 'Write', input: { file_path: 'tracker.txt', content: 'checked\n' } },
                { name: 'Finish', input: { summary: 'checked' } },
              ],
            },
          ],
        },
      };
      const { ws, bus, events } = await makeAgentWorkspace({
        brands: [{ id: 'alpha' }],
        files: { 'README.md': '# app\n' },
        registry: {
          brands: [
            { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }], mcpServers: { tracker: { type: 'http', url, headers: { Authorization: `Bearer ${token}` } } } },
          ],
        } as never,
      });
      model = await openModel(ws.registry, ws.paths.home, { script, recordRequests: true });
      const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Check the tracker', state: 'ready' });
      await dispatch({ ws, bus, sessionId: 'S-1', model });
      const result = events.find((e) => e.type === 'tool.result' && e.tool === 'mcp__tracker__tickets_list') as unknown as { content: string; isError: boolean };
      expect(result.isError).toBe(false);
      expect(result.content).toContain('Rotate the certificates');
      expect(ws.tickets.get(ticket.id).state).toBe('review');
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it.runIf(sandboxStatus().available)("an agent's command cannot read the HTTP server's bearer token (it would drive the workspace as the operator)", async () => {
    const { home, ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' } });
    const token = ensureToken(ws.paths.data);
    const file = path.join(home, '.master', 'mcp-token');
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Leak', kind: 'script', run: [`cat ${file} > leaked.txt; echo done >> leaked.txt`], state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', model: null });
    const done = ws.tickets.get(ticket.id);
    expect(done.state).toBe('review');
    const repo = path.join(home, 'repos/alpha-app');
    const leaked = git(repo, 'show', `master/${ticket.id}:leaked.txt`);
    expect(leaked).not.toContain(token);
    expect(readFileSync(file, 'utf8').trim()).toBe(token);
  });

  it('a server that cannot start fails that run with a clear reason, and the session goes on', async () => {
    const script: ModelScript = { tickets: { 'Use notes': [{ tools: [{ name: 'Finish', input: { summary: 'x' } }] }] } };
    const { ws, bus } = await notesWorkspace(script, { NOTES_FAIL_START: '1' });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Use notes', state: 'ready' });
    const report = await dispatch({ ws, bus, sessionId: 'S-1', model });
    expect(report).toBeDefined();
    const failed = ws.tickets.get(ticket.id);
    expect(failed.state).toBe('failed');
    expect(failed.runs[0]!.reason).toMatch(/the MCP server "notes" of brand "alpha" could not start: .*cannot open the notes database/);
  });
});
