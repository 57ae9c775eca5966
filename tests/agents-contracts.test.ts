import { describe, expect, it } from 'vitest';
import { DECLARED_CONTRACTS, resolveContracts, validateContracts } from '../src/agents/contracts.js';
import { dispatch } from '../src/agents/dispatcher.js';
import { parseRegistry } from '../src/registry/load.js';
import { CONTRACT_NAMES, type RegistryInput } from '../src/registry/schema.js';
import { FAST_RETRY, makeAgentWorkspace } from './helpers/agents.js';

const registry = (input: Partial<RegistryInput> = {}) => parseRegistry({ brands: [], ...input }, 'registry.json');

describe('agent contracts', () => {
  it("declares the eight contracts, valid, with the registry's models", () => {
    expect(Object.keys(DECLARED_CONTRACTS).sort()).toEqual([...CONTRACT_NAMES].sort());
    const contracts = resolveContracts(registry({ models: { default: 'claude-sonnet-4-5', contracts: { verifier: 'claude-opus-4-5' } } }));
    expect(validateContracts(registry())).toEqual([]);
    expect(contracts.executor.model).toBe('claude-sonnet-4-5');
    expect(contracts.verifier.model).toBe('claude-opus-4-5');
    expect(contracts.verifier.tools).not.toContain('Write');
    expect(contracts.verifier.writePaths).toEqual([]);
    expect(contracts.executor.tools).toEqual(expect.arrayContaining(['Read', 'Write', 'Edit', 'Glob', 'Grep', 'Bash', 'AskOperator', 'Finish']));
  });

  it("merges registry overrides field by field, a contract override's model first", () => {
    const contracts = resolveContracts(registry({ models: { contracts: { executor: 'claude-haiku-4-5' } }, contracts: { executor: { maxTurns: 7, model: 'claude-opus-4-5' } } }));
    expect(contracts.executor).toMatchObject({ maxTurns: 7, model: 'claude-opus-4-5', maxTokens: DECLARED_CONTRACTS.executor.maxTokens });
  });

  it('reports every invalid override precisely, and resolving refuses them', () => {
    const bad = registry({ contracts: { verifier: { tools: ['Read', 'Write', 'Teleport'] }, scout: { role: 'short' } } });
    const problems = validateContracts(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ contract: 'verifier', field: 'tools.2', message: expect.stringMatching(/a tool name/) }),
        expect.objectContaining({ contract: 'verifier', field: 'writePaths', message: expect.stringMatching(/no write authority/) }),
        expect.objectContaining({ contract: 'verifier', field: 'tools', message: expect.stringMatching(/needs Finish/) }),
        expect.objectContaining({ contract: 'scout', field: 'role' }),
      ]),
    );
    expect(() => resolveContracts(bad)).toThrow(/contracts\.verifier\.tools\.2/);
  });

  it('write authority is enforced: a contract may write only where its globs allow', async () => {
    const script = {
      tickets: {
        'Write docs only': [
          {
            tools: [
              { name: 'Write', input: { file_path: 'src/x.js', content: 'x\n' } },
              { name: 'Write', input: { file_path: 'docs/x.md', content: 'x\n' } },
            ],
          },
          { tools: [{ name: 'Finish', input: { summary: 'docs' } }] },
        ],
      },
    };
    const { ws, bus, events } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script, registry: { contracts: { executor: { writePaths: ['docs/**'] } } } });
    const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'Write docs only', state: 'ready' });
    await dispatch({ ws, bus, sessionId: 'S-1', retry: FAST_RETRY });
    const results = events.filter((e) => e.type === 'tool.result' && e.tool === 'Write');
    expect(results.map((e) => [e.isError, e.refusedBy ?? null])).toEqual([
      [true, 'write-authority'],
      [false, null],
    ]);
    expect(String(results[0]!.content)).toMatch(/may not write src\/x\.js; its write authority: docs\/\*\*/);
    expect(ws.tickets.get(ticket.id).state).toBe('review');
  });

  it('token and wall-time limits end a run as failed, naming the limit', async () => {
    const script = {
      tickets: {
        'Big talker': [{ text: 'thinking', tools: [{ name: 'Glob', input: { pattern: '*' } }], usage: { input: 5000, output: 10 } }, { tools: [{ name: 'Finish', input: { summary: 'x' } }] }],
        // Ten minutes: only the one-second wall-time limit can end it within the test's time.
        'Slow worker': [{ tools: [{ name: 'Bash', input: { command: 'sleep 600' } }] }],
      },
    };
    // Each limit in a workspace of its own: a one-second wall-time limit shared with the token test would end the
    // big talker first on a loaded machine, and the test would say which limit is faster, not that each one works.
    const runOne = async (title: string, executor: { maxTokens?: number; maxWallSeconds?: number }) => {
      const { ws, bus } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], script, registry: { contracts: { executor } } });
      const ticket = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title, state: 'ready' });
      await dispatch({ ws, bus, sessionId: 'S-1', retry: FAST_RETRY });
      return ws.tickets.get(ticket.id);
    };
    const big = await runOne('Big talker', { maxTokens: 4000 });
    expect(big.runs[0]!.reason).toMatch(/token limit \(5010 of 4000 tokens\)/);
    const slow = await runOne('Slow worker', { maxWallSeconds: 1 });
    expect(slow.runs[0]!.reason).toMatch(/wall-time limit \(1 s\)/);
    expect([big.state, slow.state]).toEqual(['failed', 'failed']);
  });
});
