import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildGuardChain, type GuardChain } from '../src/guards/index.js';
import { makeGuardFixture, type GuardFixture } from './guards-fixture.js';

/**
 * A symlink already in the worktree is followed by globs and recursive reads,
 * which a literal path check never sees: with `bw -> <silo repo>` and `up ->
 * <the event log folder>` in acme's worktree, those are refused.
 */
let fx: GuardFixture;
let chain: GuardChain;
let n = 0;
// Without the OS sandbox (registry "sandbox": "off") the static reading is the wall, so it is strict; with
// the sandbox the same globs are allowed (see guards-everyday.test.ts), since the sandbox makes them harmless.
const strict = () => ({ ...fx.context(), registry: { ...fx.registry, sandbox: 'off' as const } });
const bash = async (command: string) => (await chain.evaluate({ id: `l${++n}`, name: 'Bash', input: { command } }, strict())).verdict;

beforeAll(() => {
  fx = makeGuardFixture();
  symlinkSync(fx.ledger, path.join(fx.webWorktree, 'bw'));
  chain = buildGuardChain({ paths: fx.paths, registry: fx.registry, audit: false });
});

describe('symlinks in the worktree under globs and recursive reads', () => {
  it('refuses reads that sweep through a link into the silo', async () => {
    for (const command of ['cat b*/secret.txt', 'grep -R x .', 'cp -rL . /tmp/copy', 'tar -chf /tmp/x.tar .', 'find . -name secret.txt']) {
      expect(await bash(command), command).toBe('deny');
    }
    expect(await bash('cat index.ts')).toBe('allow');
    expect(await bash('git diff main')).toBe('allow');
  });

  it('refuses writes that sweep through a link out of the worktree', async () => {
    const other = makeGuardFixture();
    symlinkSync(other.paths.events, path.join(other.webWorktree, 'up'));
    const own = buildGuardChain({ paths: other.paths, registry: other.registry, audit: false });
    const run = async (command: string) =>
      (await own.evaluate({ id: `w${++n}`, name: 'Bash', input: { command } }, { ...other.context(), registry: { ...other.registry, sandbox: 'off' as const } })).verdict;
    // Without the silo link the fixture brings along, only the write matters here.
    await import('node:fs').then((fs) => fs.rmSync(path.join(other.webWorktree, 'link')));
    expect(await run('sed -i s/a/b/ u*/x.ndjson')).toBe('deny');
    expect(await run('sed -i s/a/b/ *.ts')).toBe('deny');
    expect(await run('cat *.ts')).toBe('allow');
  });
});
