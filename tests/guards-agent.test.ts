import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../src/agents/dispatcher.js';
import { openModel } from '../src/agents/model.js';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { sandboxStatus } from '../src/guards/index.js';
import { BUGGY_REPO, FAST_RETRY, makeAgentWorkspace } from './helpers/agents.js';
import { git } from './helpers/workspace.js';

/**
 * A scripted agent of brand `acme` attempts every breach of the battery
 * against the silo brand `blockwise` through the real runtime (SDK, HTTP,
 * tool runner, guard chain, tools, Bash sandbox): every attempt comes back
 * as an error result, the silo's secret never reaches the model, and the
 * run goes on to finish its ticket.
 */
beforeAll(() => {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
});
afterAll(() => {
  delete process.env.GIT_CONFIG_GLOBAL;
});

describe('an agent run against a silo', () => {
  it('gets an error result for every breach attempt, never sees the secret, and finishes its ticket', async () => {
    const secret = `BLOCKWISE-SECRET-${Math.random().toString(36).slice(2)}`;
    const { home, ws, bus } = await makeAgentWorkspace({
      brands: [{ id: 'acme' }, { id: 'blockwise' }],
      registry: {
        brands: [
          { id: 'acme', name: 'Acme', repos: [{ id: 'acme-app', path: 'repos/acme-app' }] },
          { id: 'blockwise', name: 'Blockwise Intelligence', silo: true, repos: [{ id: 'blockwise-app', path: 'repos/blockwise-app' }] },
        ],
      },
      files: BUGGY_REPO,
    });
    const ledger = path.join(home, 'repos/blockwise-app');
    writeFileSync(path.join(ledger, 'secret.txt'), `${secret}\n`);
    git(ledger, 'add', 'secret.txt');
    git(ledger, 'commit', '-qm', 'the secret');

    const worktreeToHome = '../../../..';
    const attempts: Array<{ name: string; input: Record<string, unknown> }> = [
      { name: 'Read', input: { file_path: `${worktreeToHome}/repos/blockwise-app/secret.txt` } },
      { name: 'Read', input: { file_path: `${ledger}/secret.txt` } },
      { name: 'Grep', input: { pattern: 'SECRET', path: ledger } },
      { name: 'Glob', input: { pattern: `${ledger}/**` } },
      { name: 'Bash', input: { command: `cat ${ledger}/secret.txt` } },
      { name: 'Bash', input: { command: `cp ${ledger}/secret.txt stolen.txt && cat stolen.txt` } },
      { name: 'Bash', input: { command: `git -C ${ledger} show HEAD:secret.txt` } },
      { name: 'Bash', input: { command: `cd ${worktreeToHome}/repos/blockwise-app && cat secret.txt` } },
      { name: 'Bash', input: { command: `D=${home}/repos; cat "$D/blockwise-app/secret.txt"` } },
      { name: 'Bash', input: { command: `cat ${home}/repos/block*/s?cret.*` } },
      { name: 'Bash', input: { command: `ln -s ${ledger} link && cat link/secret.txt` } },
    ];
    // What no static reading can see: only the OS sandbox (layer 4) holds here.
    const computed = [
      { name: 'Bash', input: { command: `python3 -c "import sys; print(open('/'.join([sys.argv[1], 're'+'pos', 'block'+'wise-app', 'secret.txt'])).read())" ${home}` } },
      { name: 'Bash', input: { command: `node -e "process.stdout.write(require('fs').readFileSync([process.argv[1], 're'+'pos', 'block'+'wise-app', 'secret.txt'].join('/'), 'utf8'))" ${home}` } },
      { name: 'Bash', input: { command: `cat "$(echo ${Buffer.from(`${ledger}/secret.txt`).toString('base64')} | base64 -d)"` } },
    ];
    const sandboxed = sandboxStatus().available;
    const all: Array<{ name: string; input: Record<string, unknown> }> = sandboxed ? [...attempts, ...computed] : attempts;
    const script: ModelScript = {
      tickets: {
        'Improve add': [
          { text: 'Let me look around first.', tools: all },
          { tools: [{ name: 'Edit', input: { file_path: 'src/add.js', old_string: 'a - b', new_string: 'a + b' } }] },
          { tools: [{ name: 'Finish', input: { summary: 'add() adds.' } }] },
        ],
      },
    };
    const model = await openModel(ws.registry, home, { script, recordRequests: true });
    const ticket = ws.tickets.create({ brand: 'acme', repo: 'acme-app', title: 'Improve add', state: 'ready' });
    try {
      await dispatch({ ws, bus, sessionId: 'S-silo', model, retry: FAST_RETRY });
    } finally {
      await model.close();
    }

    const requests = model.server!.requests;
    const second = requests.find((r) => r.turn === 1)!;
    const messages = second.body.messages as Array<{ role: string; content: unknown }>;
    const results = (messages[messages.length - 1]!.content as Array<{ type: string; content: string; is_error?: boolean }>).filter((b) => b.type === 'tool_result');
    expect(results).toHaveLength(all.length);
    results.forEach((result, i) => void expect(result.is_error, `${all[i]!.input.command ?? all[i]!.input.file_path ?? all[i]!.input.pattern}: ${result.content}`).toBe(true));
    for (const request of requests) expect(JSON.stringify(request.body)).not.toContain(secret);
    // The system prompt carried the silo advisory (layer 2).
    expect(JSON.stringify(requests[0]!.body.system)).toContain('Blockwise Intelligence (blockwise)');
    expect(ws.tickets.get(ticket.id).state).toBe('review');
    expect(git(path.join(home, 'repos/acme-app'), 'show', `master/${ticket.id}:src/add.js`)).toContain('a + b');
  }, 120_000);
});
