import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { ModelScript } from '../src/agents/scripted/script.js';
import { proposedPageText } from '../src/wiki/distill/pageText.js';
import { BIN, master } from './helpers/cli.js';
import { makeAgentWorkspace } from './helpers/agents.js';
import { page, writePages } from './helpers/wiki.js';

const A = { confidence: 'high', target: 'alpha/deploy', change: 'append', content: 'Tag before you deploy.', sources: ['inbox/notes'] } as const;
const B = { confidence: 'high', target: 'alpha/rollback', change: 'create', title: 'Rollback', content: 'Revert the tag; see [[alpha/deploy]].', sources: ['inbox/notes'] } as const;
const DEPLOY = page('Deploys', 'alpha', 'Deploy with the checklist.');

function script(home: string, day: string, stallOnB: boolean): ModelScript {
  const write = (f: typeof A | typeof B, existing: string | null) => ({
    tools: [{ name: 'Write', input: { file_path: path.join(home, 'wiki', `${f.target}.md`), content: proposedPageText(f as never, existing, day, 'librarian') } }],
  });
  return {
    tickets: {
      'distill:alpha': [
        {
          tools: [
            { name: 'ProposeFinding', input: A },
            { name: 'ProposeFinding', input: B },
          ],
        },
        { tools: [{ name: 'Finish', input: { summary: 'two' } }] },
      ],
      'wiki:alpha/deploy': [write(A, DEPLOY), { tools: [{ name: 'Finish', input: { summary: 'done' } }] }],
      // The first time, B's librarian hangs before it writes: the session is killed there.
      'wiki:alpha/rollback': [{ ...write(B, null), ...(stallOnB ? { delayMs: 600_000 } : {}) }, { tools: [{ name: 'Finish', input: { summary: 'done' } }] }],
    },
  };
}

describe('a distillation killed half-way', () => {
  it('resumes on the next session without duplicate pages or lost findings', async () => {
    const { home, ws } = await makeAgentWorkspace({ brands: [{ id: 'alpha' }], files: { 'README.md': '# app\n' } });
    await ws.store.close();
    writePages(home, { 'alpha/deploy': DEPLOY, 'inbox/notes': page('Notes', 'alpha', 'Tag first. Rollback = revert the tag.') });
    const day = new Date().toISOString().slice(0, 10);
    writeFileSync(path.join(home, 'model-script.json'), JSON.stringify(script(home, day, true)));
    const findingsFile = path.join(home, '.master/wiki/findings.json');
    const statuses = () => {
      try {
        return (JSON.parse(readFileSync(findingsFile, 'utf8')).findings as Array<{ id: string; status: string }>).map((f) => `${f.id}:${f.status}`);
      } catch {
        return [];
      }
    };

    const child = spawn(process.execPath, [BIN, 'start', '--ci', '--only', 'distill', '--home', home], { stdio: 'ignore', env: { ...process.env, MASTER_HOME: '' } });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    // A is written and recorded; B's librarian is running (stalled): kill the session there.
    await vi.waitFor(() => expect(statuses()).toEqual(['F-1:written', 'F-2:proposed']), { timeout: 60_000, interval: 50 });
    child.kill('SIGKILL');
    await exited;

    writeFileSync(path.join(home, 'model-script.json'), JSON.stringify(script(home, day, false)));
    const rerun = master(['start', '--ci', '--only', 'distill', '--home', home]);
    expect(rerun.code, rerun.stderr + rerun.stdout).toBe(0);
    expect(statuses()).toEqual(['F-1:written', 'F-2:written']);
    const deploy = readFileSync(path.join(home, 'wiki/alpha/deploy.md'), 'utf8');
    expect(deploy.match(/Tag before you deploy\./g)).toHaveLength(1);
    expect(readFileSync(path.join(home, 'wiki/alpha/rollback.md'), 'utf8')).toContain('Revert the tag');
    // And the session after that: already distilled today.
    const again = master(['start', '--ci', '--json', '--home', home]);
    expect(again.stdout).toContain('skip distill: already ran today');
    expect(statuses()).toEqual(['F-1:written', 'F-2:written']);
  }, 180_000);
});
