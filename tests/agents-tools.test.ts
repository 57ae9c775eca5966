import { mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ToolContext } from '../src/guards/types.js';
import { readTool } from '../src/agents/tools/files.js';
import { bashArgv, OUTPUT_CAP, spawnBash } from '../src/agents/tools/spawnBash.js';
import { loadRegistryFile } from '../src/registry/load.js';
import { writeRegistry } from '../src/workspace/init.js';
import { workspacePaths } from '../src/workspace/paths.js';

let root: string;
let context: ToolContext;

beforeAll(() => {
  const home = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'master-tools-')));
  const paths = workspacePaths(home);
  // No OS sandbox (the operator's setting): the command's own process group is all that stops what it started.
  writeRegistry(paths, { brands: [{ id: 'acme', name: 'Acme', repos: [{ id: 'web', path: 'repos/web' }] }], sandbox: 'off' });
  root = path.join(home, 'worktree');
  mkdirSync(root, { recursive: true });
  context = { paths, registry: loadRegistryFile(paths.registry), root, cwd: root, brand: 'acme', repo: 'web', agent: 'executor', sessionId: 'test' };
});

/** Whether a process still runs (a killed one waiting to be reaped by init counts as gone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return true;
  }
}

/** Resolves once the process is gone; a process that stays fails the test at the test's own timeout. */
async function gone(pid: number): Promise<boolean> {
  await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 25_000, interval: 20 });
  return true;
}

describe('Bash without a sandbox', () => {
  it('runs unwrapped here', () => {
    expect(bashArgv(context, 'true')).toEqual(['bash', '-c', 'true']);
  });

  it('leaves no background job behind once the command returns', async () => {
    const outcome = await spawnBash(context, 'nohup sleep 100 >/dev/null 2>&1 & echo $!', 20_000);
    expect(outcome.exitCode).toBe(0);
    const pid = Number(outcome.output.trim());
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });

  it('does not wait for a background job that holds its output until the timeout', async () => {
    // The job and the timeout are ten minutes: returning within the test's time shows neither was waited for.
    const outcome = await spawnBash(context, 'sleep 600 & echo $!', 600_000);
    expect(outcome.timedOut).toBe(false);
    expect(await gone(Number(outcome.output.trim()))).toBe(true);
  }, 30_000);

  it('returns soon after bash exits even when a job that left its group holds the output', async () => {
    // The job leaves the group, then says so with its pid; bash exits only after that (a barrier, not a pause).
    // Job and timeout are ten minutes: returning within the test's time shows neither was waited for.
    const left = path.join(root, 'left');
    const outcome = await spawnBash(context, `setsid sh -c 'echo $$ > left.tmp && mv left.tmp left && exec sleep 600' & while [ ! -f left ]; do sleep 0.01; done; echo started`, 600_000);
    const pid = Number(readFileSync(left, 'utf8').trim());
    try {
      expect(outcome.exitCode).toBe(0);
      expect(outcome.timedOut).toBe(false);
      expect(outcome.output).toContain('started');
    } finally {
      process.kill(pid, 'SIGKILL');
    }
  }, 30_000);
});

describe('Read', () => {
  const run = (input: Record<string, unknown>) => readTool.run(input as never, { ...context, contract: {} as never, control: {}, toolUseId: 't' });

  it('caps what it returns and says how to read on, with or without a limit', async () => {
    // 2000 lines of 900 characters: about 1.8 MB (under the size check) in one answer without a cap.
    const lines = Array.from({ length: 2000 }, (_, i) => `${String(i + 1).padStart(4, '0')}${'x'.repeat(896)}`);
    writeFileSync(path.join(root, 'wide.txt'), `${lines.join('\n')}\n`);
    for (const input of [{ file_path: 'wide.txt' }, { file_path: 'wide.txt', limit: 2000 }]) {
      const result = await run(input);
      expect(result.isError).toBeFalsy();
      expect(result.content.length).toBeLessThanOrEqual(OUTPUT_CAP + 300);
      const next = /continue with offset (\d+)/.exec(result.content);
      expect(next).not.toBeNull();
      const offset = Number(next![1]);
      expect(offset).toBeGreaterThan(1);
      // The last line shown is whole, and reading on starts right after it.
      expect(result.content).toContain(`${String(offset - 1).padStart(6)}\t${lines[offset - 2]}`);
      const more = await run({ file_path: 'wide.txt', offset, limit: 1 });
      expect(more.content).toBe(`${String(offset).padStart(6)}\t${lines[offset - 1]}\n(${2000 - offset} more lines; continue with offset ${offset + 1})`);
    }
  });

  it('returns a small file whole', async () => {
    writeFileSync(path.join(root, 'small.txt'), 'a\nb\n');
    expect((await run({ file_path: 'small.txt' })).content).toBe('     1\ta\n     2\tb');
  });
});
