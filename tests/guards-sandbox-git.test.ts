import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../src/guards/types.js';
import { buildGuardChain, sandboxBashArgv, sandboxStatus } from '../src/guards/index.js';
import { git, makeGuardFixture, type GuardFixture } from './guards-fixture.js';

/**
 * The Bash sandbox keeps main where it is: the repo's git folder is read-only
 * except what a commit on the ticket branch needs, so neither rewriting the
 * worktree's HEAD nor a setting that runs git from inside git moves main,
 * while an ordinary commit on the ticket branch still works.
 */

let fx: GuardFixture;
const IDENTITY = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

function sandboxed(context: ToolContext, command: string): { status: number | null; output: string } {
  const wrapped = sandboxBashArgv(context, command);
  if (!wrapped) throw new Error('no sandbox');
  const run = spawnSync(wrapped.file, wrapped.args, { cwd: context.cwd, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...IDENTITY } });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const mainOf = () => git(fx.web, 'rev-parse', 'refs/heads/main').trim();

beforeAll(() => {
  fx = makeGuardFixture();
});

describe.skipIf(!sandboxStatus().available)('the Bash sandbox and git', () => {
  it('a rewritten worktree HEAD cannot carry a commit onto main', () => {
    const before = mainOf();
    sandboxed(fx.context(), 'echo "ref: refs/heads/main" > "$(git rev-parse --git-dir)/HEAD"; git commit --allow-empty -m evil');
    expect(mainOf()).toBe(before);
    expect(git(fx.webWorktree, 'symbolic-ref', 'HEAD').trim()).toBe('refs/heads/master/T-1');
  });

  it('a setting that runs git from inside git cannot move main', () => {
    git(fx.web, 'commit', '--allow-empty', '-qm', 'second');
    const before = mainOf();
    sandboxed(
      fx.context(),
      'git -c core.fsmonitor="git update-ref refs/heads/main HEAD~1; false" status; git update-ref refs/heads/main HEAD~1; echo x >> "$(git rev-parse --git-common-dir)/packed-refs"',
    );
    expect(mainOf()).toBe(before);
    expect(git(fx.web, 'cat-file', '-t', before).trim()).toBe('commit');
  });

  it('an ordinary commit on the ticket branch still works', () => {
    const main = mainOf();
    const result = sandboxed(fx.context(), 'echo work > work.txt && git add -A && git commit -qm work && git log -1 --format=%s');
    expect(result.output).toContain('work');
    expect(result.status).toBe(0);
    expect(git(fx.webWorktree, 'log', '-1', '--format=%s', 'master/T-1').trim()).toBe('work');
    expect(mainOf()).toBe(main);
  });

  it("the gate's checks cannot write git's folder at all", () => {
    const head = git(fx.web, 'rev-parse', 'master/T-1').trim();
    const result = sandboxed(fx.context({ agent: 'gate' }), 'git commit --allow-empty -qm gate');
    expect(result.status).not.toBe(0);
    expect(git(fx.web, 'rev-parse', 'master/T-1').trim()).toBe(head);
  });
});

describe('master guard refuses git settings that run programs', () => {
  const refused = [
    'git -c core.fsmonitor="git update-ref refs/heads/main HEAD~1" status',
    'git -c core.hooksPath=/tmp/h commit -m x',
    'git -c core.pager=sh diff',
    'git -c core.pager="less; git update-ref refs/heads/main HEAD~1" log',
    'git -ccore.editor=vi commit',
    'git -c core.sshCommand=x fetch',
    'git -c diff.external=x diff',
    'git -c diff.foo.textconv=x diff',
    'git -c filter.lfs.smudge=x checkout -- a',
    'git -c credential.helper=x fetch',
    'git -c sequence.editor=x rebase -i HEAD~1',
    'git -c gpg.program=x commit -S -m x',
    'git -c core.symlinks=true checkout -- lnk',
  ];
  for (const command of refused) {
    it(`refuses ${command}`, async () => {
      const chain = buildGuardChain({ paths: fx.paths, registry: fx.registry, audit: false });
      const decision = await chain.evaluate({ id: 'x', name: 'Bash', input: { command } }, fx.context());
      expect(decision.verdict).toBe('deny');
      expect(decision.guard).toContain('pre-merge');
    });
  }
  it('allows ordinary settings', async () => {
    const chain = buildGuardChain({ paths: fx.paths, registry: fx.registry, audit: false });
    const decision = await chain.evaluate({ id: 'x', name: 'Bash', input: { command: 'git -c color.ui=never -c core.pager=cat status' } }, fx.context());
    expect(decision.verdict).toBe('allow');
  });
});
