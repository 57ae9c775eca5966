import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Bus } from '../src/bus/index.js';
import { setUpDemo } from '../src/demo/index.js';
import { distillPhase } from '../src/loop/phases/distill.js';
import { answerQuestion } from '../src/questions/index.js';
import { readFindings } from '../src/wiki/distill/findings.js';
import { runDistillation } from '../src/wiki/distill/run.js';
import { openWorkspace } from '../src/workspace/open.js';
import { master, tempDir } from './helpers/cli.js';

describe('the demo wiki with the scripted demo model', () => {
  it('the first distillation shows findings of every confidence, one medium waits for approval, and the wiki stays clean', async () => {
    const home = path.join(tempDir('master-demo-wiki-'), 'ws');
    const clock = () => new Date();
    await setUpDemo({ dir: home, clock });
    const ws = await openWorkspace(home, { bus: new Bus(), clock });
    try {
      const context = { ws, clock } as unknown as Parameters<typeof distillPhase.shouldRun>[0];
      expect(await distillPhase.shouldRun(context)).toMatchObject({ run: true, reason: expect.stringContaining('2 inbox notes') });
      const report = await runDistillation({ ws, bus: new Bus(), sessionId: 'S-1', signal: new AbortController().signal, clock, env: {} });
      expect(report.unclassified).toBeUndefined();
      expect(report.groups).toEqual(['sandbox', 'umano']);
      const statuses = readFindings(ws.paths.data).findings.map((f) => `${f.confidence}:${f.target}:${f.status}`);
      expect(statuses.sort()).toEqual(['high:sandbox/lesson-durations:written', 'high:umano/release-process:written', 'low:umano/release-days:ledger', 'medium:umano/venue-api:pending']);
      expect(readFileSync(path.join(home, 'wiki/umano/release-process.md'), 'utf8')).toContain('Collect the ISRC codes first');
      expect(readFileSync(path.join(home, 'wiki/umano/release-process.md'), 'utf8')).toContain('Label releases go out on Fridays');
      const approval = Object.values(ws.store.state.questions).find((q) => q.kind === 'approval')!;
      expect(approval.text).toContain('create umano/venue-api');
      expect(master(['wiki', 'lint', '--home', home]).code).toBe(0);

      answerQuestion(ws, approval.id, 'yes');
      expect(await distillPhase.shouldRun(context)).toMatchObject({ run: true, reason: 'distill: 1 answered wiki approval to act on' });
      await runDistillation({ ws, bus: new Bus(), sessionId: 'S-2', signal: new AbortController().signal, clock, env: {} });
      expect(readFileSync(path.join(home, 'wiki/umano/venue-api.md'), 'utf8')).toContain('times out on Friday afternoons');
      const lint = master(['wiki', 'lint', '--json', '--home', home]);
      expect(JSON.parse(lint.stdout)).toEqual([]);
    } finally {
      await ws.store.close();
    }
    // Nine real repos with history are set up first: slow on a busy machine.
  }, 240_000);
});
