import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { buildGuardChain } from '../src/guards/chain.js';
import { createMasterServer } from '../src/mcp/server.js';
import { mcpToolAllowed, paletteAllowsMcp } from '../src/mcp/names.js';
import { askOperator } from '../src/questions/index.js';
import { parseRegistry } from '../src/registry/load.js';
import { validateContracts } from '../src/agents/contracts.js';
import { openWorkspace, type Workspace } from '../src/workspace/open.js';
import { makeRepo, makeWorkspace } from './helpers/workspace.js';
import path from 'node:path';

async function connected(ws: Workspace, brand?: string): Promise<Client> {
  const chain = buildGuardChain({ paths: ws.paths, registry: ws.registry, store: ws.store });
  const server = createMasterServer({ ws, chain, sessionId: 'mcp-test', ...(brand ? { brand } : {}) });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'in-process', version: '1' });
  await client.connect(clientSide);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

async function workspace(): Promise<Workspace> {
  const home = makeWorkspace({
    brands: [
      { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
      { id: 'vault', name: 'Vault', silo: true, repos: [{ id: 'vault-app', path: 'repos/vault-app' }] },
    ],
  } as never);
  makeRepo(path.join(home, 'repos/alpha-app'));
  makeRepo(path.join(home, 'repos/vault-app'));
  return openWorkspace(home);
}

/** A ticket blocked on an agent's question, the way the executor leaves it. */
function blockedOnQuestion(ws: Workspace, brand: string, repo: string, question: string) {
  const ticket = ws.tickets.create({ brand, repo, title: `Work of ${brand}`, state: 'ready' });
  ws.tickets.transition(ticket.id, 'dispatch', {
    by: 'dispatcher',
    patch: {
      runs: [
        { id: 'R-1', startedAt: ws.store.now(), worktree: '/x', branch: 'b', owner: { pid: 1, host: 'h' }, usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costUsd: 0 }, transcript: 't' },
      ],
    },
  });
  ws.tickets.transition(ticket.id, 'block', { by: 'dispatcher', patch: { runs: [{ ...ws.tickets.get(ticket.id).runs[0]!, outcome: 'blocked' }] } });
  const q = askOperator(ws, { kind: 'agent', ticket: ticket.id, brand, text: question, askedBy: 'executor R-1' });
  return { ticket: ticket.id, question: q.id };
}

describe('master mcp in process (in-memory transport)', () => {
  it("lists open questions and answers one: the blocked ticket goes back to ready; a scoped client never sees a silo's question", async () => {
    const ws = await workspace();
    const alpha = blockedOnQuestion(ws, 'alpha', 'alpha-app', 'Which colour?');
    const vault = blockedOnQuestion(ws, 'vault', 'vault-app', 'Which secret strategy?');
    const operator = await connected(ws);
    const all = await call(operator, 'questions_list');
    expect((all.structuredContent as { questions: Array<{ id: string }> }).questions.map((q) => q.id)).toEqual([alpha.question, vault.question]);

    const scoped = await connected(ws, 'alpha');
    const seen = await call(scoped, 'questions_list');
    expect((seen.structuredContent as { questions: Array<{ id: string }> }).questions.map((q) => q.id)).toEqual([alpha.question]);
    const sneak = await call(scoped, 'question_answer', { id: vault.question, answer: 'yes' });
    expect(sneak.isError).toBe(true);
    expect(text(sneak)).toBe(`no open question ${vault.question}; open questions: ${alpha.question}`);
    expect(ws.store.state.questions[vault.question]!.answer).toBeUndefined();

    const answered = await call(scoped, 'question_answer', { id: alpha.question, answer: 'blue' });
    expect(answered.structuredContent).toMatchObject({ question: { id: alpha.question, answer: 'blue' }, ticket: { id: alpha.ticket, state: 'ready' } });
    expect(ws.tickets.get(alpha.ticket).state).toBe('ready');
    const again = await call(scoped, 'question_answer', { id: alpha.question, answer: 'red' });
    expect(again.isError).toBe(true);
    expect((await call(scoped, 'question_answer', { id: alpha.question, answer: '   ' })).isError).toBe(true);
  });

  it('every tool has an input and an output schema, a description and annotations', async () => {
    const ws = await workspace();
    const { tools } = await (await connected(ws)).listTools();
    expect(tools).toHaveLength(12);
    for (const tool of tools) {
      expect(tool.description!.length, tool.name).toBeGreaterThan(60);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.annotations?.readOnlyHint, tool.name).toBe(!['ticket_create', 'ticket_transition', 'question_answer'].includes(tool.name));
    }
  });
});

describe('which MCP tools a caller may use', () => {
  const registry = parseRegistry(
    {
      brands: [
        { id: 'alpha', name: 'Alpha', mcpServers: { notes: { command: 'notes-server' } } },
        { id: 'beta', name: 'Beta' },
      ],
    },
    'registry.json',
  );
  it("a brand's listed servers, as the palette allows; master's own tools only for its clients; nothing else", () => {
    expect(mcpToolAllowed({ registry, brand: 'alpha', agent: 'executor' }, 'mcp__notes__echo', ['Read', 'mcp__*'])).toBe(true);
    expect(mcpToolAllowed({ registry, brand: 'alpha', agent: 'executor' }, 'mcp__notes__echo', ['mcp__notes'])).toBe(true);
    expect(mcpToolAllowed({ registry, brand: 'alpha', agent: 'executor' }, 'mcp__notes__echo', ['mcp__notes__wipe'])).toBe(false);
    expect(mcpToolAllowed({ registry, brand: 'alpha', agent: 'executor' }, 'mcp__notes__echo', ['Read'])).toBe(false);
    expect(mcpToolAllowed({ registry, brand: 'beta', agent: 'executor' }, 'mcp__notes__echo', ['mcp__*'])).toBe(false);
    expect(mcpToolAllowed({ registry, brand: 'alpha', agent: 'executor' }, 'mcp__other__x', ['mcp__*'])).toBe(false);
    expect(mcpToolAllowed({ registry, agent: 'mcp-client' }, 'mcp__master__ticket_get')).toBe(true);
    expect(mcpToolAllowed({ registry, agent: 'executor', brand: 'alpha' }, 'mcp__master__ticket_get', ['mcp__*'])).toBe(false);
    expect(mcpToolAllowed({ registry, agent: 'mcp-client' }, 'Read')).toBe(false);
    expect(paletteAllowsMcp(['mcp__notes__echo'], 'notes', 'echo')).toBe(true);
  });

  it('contracts may list mcp__*, mcp__server and mcp__server__tool, nothing looser', () => {
    const ok = parseRegistry({ brands: [], contracts: { verifier: { tools: ['Read', 'Verdict', 'mcp__notes', 'mcp__notes__echo', 'mcp__*'] } } }, 'registry.json');
    expect(validateContracts(ok)).toEqual([]);
    const bad = parseRegistry({ brands: [], contracts: { verifier: { tools: ['Read', 'Verdict', 'mcp__no*tes'] } } }, 'registry.json');
    expect(validateContracts(bad)[0]).toMatchObject({ contract: 'verifier', field: 'tools.2' });
  });
});
