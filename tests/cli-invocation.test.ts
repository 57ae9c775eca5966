import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { masterInvocation } from '../src/cli/invocation.js';
import { BIN, ROOT, tempDir } from './helpers/cli.js';

/** Runs a hint's command line through a shell, as the operator would paste it. */
function shell(command: string, cwd: string, env: NodeJS.ProcessEnv): string {
  return execFileSync('sh', ['-c', command], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
}

describe('the form of `master` that hints print', () => {
  it('is `master` when that name on PATH is this program (npm link), and it runs', () => {
    const bin = tempDir();
    symlinkSync(BIN, path.join(bin, 'master'));
    const env = { PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    const form = masterInvocation(env, tempDir(), BIN);
    expect(form).toBe('master');
    expect(shell(`${form} --version`, tempDir(), env)).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("is `npx master` inside the clone, which runs the clone's own build", () => {
    const env = { PATH: process.env.PATH ?? '' };
    const form = masterInvocation(env, path.join(ROOT, 'src'), BIN);
    expect(form).toBe('npx master');
    expect(shell(`${form} --version`, path.join(ROOT, 'src'), { ...env, npm_config_yes: 'false' })).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('is `node /path/to/master.js` anywhere else (npx there would fetch another package), and it runs', () => {
    const env = { PATH: process.env.PATH ?? '' };
    const elsewhere = tempDir();
    const form = masterInvocation(env, elsewhere, BIN);
    expect(form).toBe(`node ${BIN}`);
    expect(shell(`${form} --version`, elsewhere, env)).toMatch(/^\d+\.\d+\.\d+/);
  });
});
