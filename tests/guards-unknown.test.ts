import { rmSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../src/guards/types.js';
import { buildGuardChain, type GuardChain } from '../src/guards/index.js';
import { makeGuardFixture, type GuardFixture } from './guards-fixture.js';

/**
 * What a static reading cannot know is not assumed to be harmless: a path
 * whose leading part is a command substitution or an unknown variable, a
 * relative path after `cd` to such a place, the input of `xargs`, here-docs
 * and here-strings, `~+`/`~-`, and `link`. From acme's ticket worktree
 * (`.master/worktrees/web/T-1`), `../../../state.json` is the state file and
 * `../../../../repos/ledger` the silo.
 */
let fx: GuardFixture;
let chain: GuardChain;
let ctx: ToolContext;
let n = 0;
const bash = async (command: string) => (await chain.evaluate({ id: `u${++n}`, name: 'Bash', input: { command } }, ctx)).verdict;

beforeAll(() => {
  fx = makeGuardFixture();
  // The fixture's symlink into the silo is another suite's subject.
  rmSync(path.join(fx.webWorktree, 'link'));
  chain = buildGuardChain({ paths: fx.paths, registry: fx.registry, audit: false });
  // The strict reading (no OS sandbox behind it); with the sandbox these are left to it (guards-everyday.test.ts).
  ctx = { ...fx.context(), registry: { ...fx.registry, sandbox: 'off' } };
});

describe('paths that cannot be known can be anywhere', () => {
  it('refuses writes, silo reads and git runs through a command substitution or unknown variable', async () => {
    const refused = [
      'echo x > $(echo ../../../state.json)',
      'echo x | tee $(echo ../../../state.json)',
      'f=$(echo ../../../events); rm -r $f',
      'cat $(echo ../../../../repos/ledger/secret.txt)',
      `echo ${'../../../../repos/ledger/secret.txt'} | xargs cat`,
      'git -C "$(echo ../../../../repos/web)" commit -qam x',
      'cd $(echo ../../../../repos/web) && git commit -qam x',
      'cd "$D" && echo x > state.json',
      'CDPATH=../../.. cd . ; CDPATH=../../.. cd events && rm -f x',
    ];
    for (const command of refused) expect(await bash(command), command).toBe('deny');
  });

  it('keeps ordinary work allowed', async () => {
    const allowed = [
      'npm test',
      'node --test',
      'git status',
      'git diff main',
      'git log main..HEAD',
      'git commit -am x',
      'git commit -m "$(cat <<\'EOF\'\nmessage\nEOF\n)"',
      'cat README.md',
      'echo "$X" > out.txt',
      'for f in *.js; do node --check "$f"; done',
      'h=$(git rev-parse HEAD); echo $h',
      'cd src && cat index.ts',
    ];
    for (const command of allowed) expect(await bash(command), command).toBe('allow');
  });
});

describe('here-docs, here-strings, ~+ and ~-', () => {
  it('reads them', async () => {
    const refused = [
      'bash <<< "cat ../../../../repos/ledger/secret.txt"',
      'xargs cat <<< ../../../../repos/ledger/secret.txt',
      'python3 - <<EOF\nopen("../../../state.json","w").write("x")\nEOF',
      'echo x > ~+/../../../state.json',
      'cd .. && echo x > ~-/../../../state.json',
      'cat ~+/../../../../repos/ledger/secret.txt',
    ];
    for (const command of refused) expect(await bash(command), command).toBe('deny');
    expect(await bash('cat <<EOF\nhello\nEOF')).toBe('allow');
    expect(await bash('echo x > ~+/out.txt')).toBe('allow');
  });
});

describe('link is a link', () => {
  it('refuses a hard link out of the worktree', async () => {
    expect(await bash('link ../../../state.json s')).toBe('deny');
    expect(await bash('link ../../../../repos/web/index.ts i')).toBe('deny');
    expect(await bash('link index.ts i2')).toBe('allow');
  });
});
