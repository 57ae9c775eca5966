import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, master } from './helpers/cli.js';
import { makeRepo, makeWorkspace } from './helpers/workspace.js';
import { page, SILO_CANARY, writePages } from './helpers/wiki.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => undefined);
});

/** alpha, beta and the silo brand vault, each with a real repo; a page each and a deny rule on ticket_create for beta. */
function workspace(): string {
  const home = makeWorkspace({
    brands: [
      { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
      { id: 'beta', name: 'Beta', repos: [{ id: 'beta-app', path: 'repos/beta-app' }] },
      { id: 'vault', name: 'Vault', silo: true, repos: [{ id: 'vault-app', path: 'repos/vault-app' }] },
    ],
  } as never);
  for (const repo of ['alpha-app', 'beta-app', 'vault-app']) makeRepo(path.join(home, 'repos', repo));
  writePages(home, {
    'alpha/release-process': page('Release process', 'alpha', 'Ship alpha releases on Tuesdays after the changelog.'),
    'global/conventions': page('Conventions', 'global', 'Every brand keeps a changelog.'),
    'vault/strategy': page('Trading strategy', 'vault', `Release of the strategy: window 20. ${SILO_CANARY}`),
  });
  // An operator's deny rule: no MCP client may cancel tickets through master's server.
  const rules = path.join(home, 'hooks', 'deny-rules.json');
  const hook = JSON.parse(readFileSync(rules, 'utf8')) as { rules?: string[] };
  hook.rules = [...(hook.rules ?? []), 'mcp__master__ticket_transition(cancel)'];
  writeFileSync(rules, JSON.stringify(hook, null, 2));
  return home;
}

async function stdioClient(home: string, extra: string[] = []): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp', '--home', home, ...extra],
    stderr: 'pipe',
    env: { ...process.env, MASTER_HOME: '' } as Record<string, string>,
  });
  const client = new Client({ name: 'test-client', version: '1.0.0' });
  await client.connect(transport);
  cleanups.push(() => client.close());
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function decisions(home: string): Array<Record<string, unknown>> {
  const dir = path.join(home, '.master', 'events');
  const text = readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((e) => e.type === 'guard.decision');
}

describe('master mcp over stdio, as a real process', () => {
  it('lists its tools, creates and moves a ticket the CLI then sees, refuses what the machine and the rules refuse, and survives bad input', async () => {
    const home = workspace();
    const client = await stdioClient(home);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(
      [
        'briefing_get',
        'doctor_run',
        'question_answer',
        'questions_list',
        'registry_list',
        'session_status',
        'ticket_create',
        'ticket_get',
        'ticket_transition',
        'tickets_list',
        'wiki_read',
        'wiki_search',
      ].sort(),
    );
    const create = tools.find((t) => t.name === 'ticket_create')!;
    expect(create.inputSchema.required).toEqual(expect.arrayContaining(['brand', 'repo', 'title']));
    expect(create.outputSchema).toBeDefined();

    const created = await call(client, 'ticket_create', { brand: 'alpha', repo: 'alpha-app', title: 'Fix the login page', acceptance: ['the login works'] });
    expect(created.isError).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ id: 'T-1', state: 'triage', brand: 'alpha' });
    const moved = await call(client, 'ticket_transition', { id: 'T-1', event: 'approve', note: 'go' });
    expect(moved.structuredContent).toMatchObject({ id: 'T-1', state: 'ready' });

    // The CLI, a second process on the same workspace, sees it, and its own change reaches the server.
    const shown = master(['ticket', 'show', 'T-1', '--json'], { env: { MASTER_HOME: home } });
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ id: 'T-1', state: 'ready', title: 'Fix the login page' });
    expect(JSON.parse(shown.stdout).history.at(-1)).toMatchObject({ event: 'approve', by: 'mcp:test-client', note: 'go' });
    expect(master(['ticket', 'add', '--brand', 'beta', '--repo', 'beta-app', '--title', 'From the CLI'], { env: { MASTER_HOME: home } }).code).toBe(0);
    const listed = await call(client, 'tickets_list', {});
    expect((listed.structuredContent as { tickets: Array<{ id: string }> }).tickets.map((t) => t.id)).toEqual(['T-1', 'T-2']);

    // A forbidden transition names what the operator may send, never the system's events.
    const forbidden = await call(client, 'ticket_transition', { id: 'T-1', event: 'approve' });
    expect(forbidden.isError).toBe(true);
    expect(text(forbidden)).toContain('"approve" is not allowed from ready; the operator may send: block, cancel');
    expect(text(forbidden)).not.toContain('dispatch');
    // System events are not the client's to send.
    const system = await call(client, 'ticket_transition', { id: 'T-1', event: 'merge' });
    expect(system.isError).toBe(true);
    expect(text(system)).toMatch(/approve/);
    expect(master(['ticket', 'show', 'T-1', '--json'], { env: { MASTER_HOME: home } }).stdout).toContain('"state": "ready"');

    // The deny rule holds for MCP clients: the cancel does not happen, and the refusal is in the audit trail.
    const cancel = await call(client, 'ticket_transition', { id: 'T-1', event: 'cancel' });
    expect(cancel.isError).toBe(true);
    expect(text(cancel)).toContain('mcp__master__ticket_transition was refused by deny-rules');
    expect(JSON.parse(master(['ticket', 'show', 'T-1', '--json'], { env: { MASTER_HOME: home } }).stdout).state).toBe('ready');

    // Bad input: clear errors, and the server keeps answering.
    const bad = await call(client, 'ticket_create', { brand: 'alpha', title: 42 });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/repo|title/);
    expect(text(await call(client, 'ticket_get', { id: 'T-99' }))).toContain('no ticket T-99');
    expect(text(await call(client, 'ticket_create', { brand: 'nope', repo: 'x', title: 'y' }))).toContain('unknown brand "nope"');
    expect(text(await call(client, 'ticket_create', { brand: 'alpha', repo: 'alpha-app', title: 'S', kind: 'script' }))).toContain('a script ticket needs at least one command');
    expect((await call(client, 'no_such_tool')).isError).toBe(true);
    expect((await call(client, 'ticket_get', { id: 'T-1' })).structuredContent).toMatchObject({ id: 'T-1', history: [expect.objectContaining({ event: 'approve' })] });

    // Every call was a guard.decision: the refusal at once, the allows batched.
    await call(client, 'session_status');
    const logged = decisions(home);
    expect(logged).toContainEqual(expect.objectContaining({ tool: 'mcp__master__ticket_transition', verdict: 'deny', guard: 'deny-rules', agent: 'mcp-client' }));
    await expect.poll(() => decisions(home).filter((d) => d.verdict === 'allow' && d.tool === 'mcp__master__ticket_create').length).toBeGreaterThan(0);
  });

  it('serves the wiki as tools and wiki:// resources, registry, doctor, status and briefing', async () => {
    const home = workspace();
    const client = await stdioClient(home);
    const search = await call(client, 'wiki_search', { query: 'changelog' });
    expect((search.structuredContent as { hits: Array<{ page: string }> }).hits.map((h) => h.page)).toEqual(expect.arrayContaining(['alpha/release-process', 'global/conventions']));
    const read = await call(client, 'wiki_read', { page: 'release-process' });
    expect(read.structuredContent).toMatchObject({ page: 'alpha/release-process', title: 'Release process' });
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['wiki://alpha/release-process', 'wiki://global/conventions']));
    const resource = await client.readResource({ uri: 'wiki://global/conventions' });
    expect(resource.contents[0]).toMatchObject({ uri: 'wiki://global/conventions', mimeType: 'text/markdown' });
    expect(JSON.stringify(resource.contents[0])).toContain('Every brand keeps a changelog');

    const registry = await call(client, 'registry_list');
    expect((registry.structuredContent as { brands: Array<{ id: string }> }).brands.map((b) => b.id)).toEqual(['alpha', 'beta', 'vault']);
    const doctor = await call(client, 'doctor_run');
    expect(doctor.isError).toBeFalsy();
    expect(doctor.structuredContent).toMatchObject({ grade: expect.any(String), total: expect.any(Number) });
    const status = await call(client, 'session_status');
    expect(status.structuredContent).toMatchObject({ running: false, lastSession: null, openQuestions: 0 });
    const briefing = await call(client, 'briefing_get');
    expect(briefing.structuredContent).toMatchObject({ at: null, briefings: [] });
    expect(master(['scout'], { env: { MASTER_HOME: home } }).code).toBe(0);
    const after = await call(client, 'briefing_get', { brand: 'alpha' });
    expect((after.structuredContent as { briefings: Array<{ brand: string }> }).briefings.map((b) => b.brand)).toEqual(['alpha']);
  });

  it('a client scoped to a brand never sees nor touches a silo: tickets, questions, pages, resources, registry', async () => {
    const home = workspace();
    const env = { MASTER_HOME: home };
    expect(master(['ticket', 'add', '--brand', 'vault', '--repo', 'vault-app', '--title', `Secret work ${SILO_CANARY}`], { env }).code).toBe(0);
    expect(master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'Alpha work'], { env }).code).toBe(0);
    const client = await stdioClient(home, ['--brand', 'alpha']);
    const seen: string[] = [];
    const keep = (r: unknown) => seen.push(JSON.stringify(r));
    const list = await call(client, 'tickets_list', {});
    keep(list);
    expect((list.structuredContent as { tickets: Array<{ id: string }> }).tickets.map((t) => t.id)).toEqual(['T-2']);
    keep(await call(client, 'tickets_list', { brand: 'vault' }));
    const get = await call(client, 'ticket_get', { id: 'T-1' });
    keep(get);
    expect(get.isError).toBe(true);
    expect(text(get)).toContain('no ticket T-1');
    const move = await call(client, 'ticket_transition', { id: 'T-1', event: 'approve' });
    keep(move);
    expect(move.isError).toBe(true);
    const create = await call(client, 'ticket_create', { brand: 'vault', repo: 'vault-app', title: 'sneak in' });
    keep(create);
    expect(create.isError).toBe(true);
    for (const query of ['strategy window', 'release']) keep(await call(client, 'wiki_search', { query }));
    // (The query itself would echo the canary back in the "no match" text.)
    expect((await call(client, 'wiki_search', { query: SILO_CANARY })).structuredContent).toEqual({ hits: [] });
    for (const p of ['vault/strategy', 'strategy']) {
      const r = await call(client, 'wiki_read', { page: p });
      keep(r);
      expect(r.isError).toBe(true);
    }
    const { resources } = await client.listResources();
    keep(resources);
    expect(resources.map((r) => r.uri)).toEqual(['wiki://alpha/release-process', 'wiki://global/conventions']);
    await expect(client.readResource({ uri: 'wiki://vault/strategy' })).rejects.toThrow(/no wiki page/);
    keep(await call(client, 'registry_list'));
    keep(await call(client, 'session_status'));
    keep(await call(client, 'briefing_get'));
    const all = seen.join('\n');
    expect(all).not.toContain(SILO_CANARY);
    expect(all).not.toContain('vault-app');
    expect(all).not.toContain('Secret work');
    // The silo's ticket is untouched.
    expect(JSON.parse(master(['ticket', 'show', 'T-1', '--json'], { env }).stdout).state).toBe('triage');
    expect(JSON.parse(master(['ticket', 'list', '--json'], { env }).stdout)).toHaveLength(2);
  });

  it('two clients and the CLI change the same workspace at the same time: nothing lost, no id twice', async () => {
    const home = workspace();
    const [first, second] = await Promise.all([stdioClient(home), stdioClient(home)]);
    const cli = (title: string) =>
      new Promise<number>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'ticket', 'add', '--brand', 'beta', '--repo', 'beta-app', '--title', title], { env: { ...process.env, MASTER_HOME: home }, stdio: 'ignore' });
        child.once('exit', (code) => resolve(code ?? -1));
      });
    const creates = (client: Client, name: string) => Array.from({ length: 8 }, (_, i) => call(client, 'ticket_create', { brand: 'alpha', repo: 'alpha-app', title: `${name} ${i}` }));
    const results = await Promise.all([...creates(first, 'first'), ...creates(second, 'second'), cli('cli 0'), cli('cli 1'), cli('cli 2')]);
    expect(results.filter((r) => typeof r === 'number')).toEqual([0, 0, 0]);
    const listed = JSON.parse(master(['ticket', 'list', '--json'], { env: { MASTER_HOME: home } }).stdout) as Array<{ id: string; title: string }>;
    expect(listed).toHaveLength(19);
    expect(new Set(listed.map((t) => t.id)).size).toBe(19);
    expect(listed.map((t) => t.title).sort()).toEqual([...Array.from({ length: 8 }, (_, i) => `first ${i}`), ...Array.from({ length: 8 }, (_, i) => `second ${i}`), 'cli 0', 'cli 1', 'cli 2'].sort());
    // Each server sees the others' tickets at once.
    expect(((await call(first, 'tickets_list', {})).structuredContent as { tickets: unknown[] }).tickets).toHaveLength(19);
  });

  it('refuses to start with an unknown --brand (exit 2, nothing served)', () => {
    const home = workspace();
    const result = master(['mcp', '--brand', 'nope'], { env: { MASTER_HOME: home } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown brand "nope"');
  });
});

describe('master mcp over Streamable HTTP', () => {
  async function startHttp(home: string): Promise<{ url: string; child: ChildProcess }> {
    const child = spawn(process.execPath, [BIN, 'mcp', '--home', home, '--http', '0'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MASTER_HOME: '' } });
    cleanups.push(async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    });
    const url = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const m = /serving (http:\/\/127\.0\.0\.1:\d+\/mcp)/.exec(buffered);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`master mcp exited ${code}: ${buffered}`)));
    });
    return { url, child };
  }

  it('answers only with the bearer token from .master/, on loopback; the CLI sees what the client did', async () => {
    const home = workspace();
    const { url } = await startHttp(home);
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const tokenPath = path.join(home, '.master', 'mcp-token');
    expect(statSync(tokenPath).mode & 0o077).toBe(0);
    const token = readFileSync(tokenPath, 'utf8').trim();

    // Without the token, or with a wrong one: 401, and nothing happens.
    const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'curl', version: '1' } } };
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    expect((await fetch(url, { method: 'POST', headers, body: JSON.stringify(init) })).status).toBe(401);
    expect((await fetch(url, { method: 'POST', headers: { ...headers, authorization: 'Bearer wrong' }, body: JSON.stringify(init) })).status).toBe(401);
    const anonymous = new Client({ name: 'anonymous', version: '1' });
    await expect(anonymous.connect(new StreamableHTTPClientTransport(new URL(url)))).rejects.toThrow();

    const client = new Client({ name: 'http-client', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    cleanups.push(() => client.close());
    expect((await client.listTools()).tools.length).toBe(12);
    const created = await call(client, 'ticket_create', { brand: 'beta', repo: 'beta-app', title: 'Over HTTP' });
    expect(created.structuredContent).toMatchObject({ id: 'T-1' });
    expect((await call(client, 'ticket_transition', { id: 'T-1', event: 'approve' })).structuredContent).toMatchObject({ state: 'ready' });
    expect(JSON.parse(master(['ticket', 'show', 'T-1', '--json'], { env: { MASTER_HOME: home } }).stdout)).toMatchObject({ title: 'Over HTTP', state: 'ready' });
  });
});
