import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../src/guards/types.js';
import { getTool, type ToolRunContext } from '../src/agents/tools/index.js';
import { bashArgv } from '../src/agents/tools/spawnBash.js';
import { runCheck } from '../src/gate/checks.js';
import { buildGuardChain, sandboxStatus, type GuardChain } from '../src/guards/index.js';
import { checkPathAccess } from '../src/guards/pathPolicy.js';
import { realPath } from '../src/guards/realPath.js';
import { analyzeShell } from '../src/guards/shell/analyze.js';
import { loadRegistryFile } from '../src/registry/load.js';
import type { Registry } from '../src/registry/schema.js';
import type { Ticket } from '../src/state/types.js';
import { git, makeGuardFixture, type GuardFixture } from './guards-fixture.js';
import { master } from './helpers/cli.js';

/**
 * Bypasses a review found in the guards, each reproduced as it was reported
 * and shown closed: a symlink plus `..` (paths were normalized lexically
 * before symlinks were followed), git pointed at the primary checkout or
 * dressed as an alias, and Bash run outside the OS sandbox by the gate.
 */
let fx: GuardFixture;
let chain: GuardChain;
let ctx: ToolContext;
let n = 0;
/** `up` -> `../..`: from `.master/worktrees/web/T-1`, `up/..` is `.master`. */
let up: string;
/** `L` -> `../../..`: `L/..` is the workspace. */
let L: string;

// The guard chain's verdicts are those of the strict reading (no OS sandbox behind it: registry "sandbox": "off");
// with the sandbox, paths the reading cannot pin down are left to it (guards-everyday.test.ts).
const strict = () => ({ ...ctx, registry: { ...ctx.registry, sandbox: 'off' as const } });
const verdict = (name: string, input: Record<string, unknown>, context: ToolContext = strict()) => chain.evaluate({ id: `c${++n}`, name, input }, context);
const bash = (command: string, context?: ToolContext) => verdict('Bash', { command }, context);

function hookJson(tool: string, input: Record<string, unknown>, cwd = fx.webWorktree): string {
  return JSON.stringify({
    session_id: 'cc-bypass',
    transcript_path: path.join(fx.home, 'transcript.jsonl'),
    cwd,
    hook_event_name: 'PreToolUse',
    tool_name: tool,
    tool_input: input,
    tool_use_id: `toolu_${++n}`,
  });
}
const guardProcess = (tool: string, input: Record<string, unknown>) => master(['guard', '--home', fx.home], { input: hookJson(tool, input), cwd: fx.webWorktree });

const eventsDay = () => path.join(fx.paths.events, '2099-01-01.ndjson');

beforeAll(() => {
  fx = makeGuardFixture();
  chain = buildGuardChain({ paths: fx.paths, registry: fx.registry, audit: false });
  ctx = fx.context();
  // The links the reproductions made (the guards now refuse to make them; an agent may find them made).
  up = path.join(fx.webWorktree, 'up');
  L = path.join(fx.webWorktree, 'L');
  symlinkSync('../..', up);
  symlinkSync('../../..', L);
  writeFileSync(fx.paths.state, '{"seq":0}\n');
});

describe('symlink plus `..`: paths resolved as the OS resolves them', () => {
  it('resolves `link/..` to the parent of where the link points, not to the folder holding the link', () => {
    expect(realPath('up/../state.json', fx.webWorktree)).toBe(fx.paths.state);
    expect(realPath(`${fx.webWorktree}/up/../events/x.ndjson`, '/')).toBe(path.join(fx.paths.events, 'x.ndjson'));
    expect(realPath('L/../repos/ledger/secret.txt', fx.webWorktree)).toBe(path.join(fx.ledger, 'secret.txt'));
    // Without a link, `..` is what it always was; a prefix that does not exist yet cancels lexically.
    expect(realPath('src/../index.ts', fx.webWorktree)).toBe(path.join(fx.webWorktree, 'index.ts'));
    expect(realPath('new/dir/../x.ts', fx.webWorktree)).toBe(path.join(fx.webWorktree, 'new/x.ts'));
    const analysis = analyzeShell('echo x > up/../state.json; cd up && cat ../events/a', { cwd: fx.webWorktree, env: {} });
    expect(analysis.paths.map((p) => p.path)).toEqual(expect.arrayContaining([fx.paths.state, path.join(fx.paths.events, 'a')]));
  });

  it('refuses each reproduction through the guard chain', async () => {
    expect(await bash('ln -s ../.. up2')).toMatchObject({ verdict: 'deny', guard: 'worktree-confinement' });
    expect(await bash('echo x > up/../state.json')).toMatchObject({ verdict: 'deny' });
    expect(await bash(`echo g >> up/../events/2099-01-01.ndjson`)).toMatchObject({ verdict: 'deny' });
    expect(await bash('cd up && echo x > ../state.json')).toMatchObject({ verdict: 'deny' });
    expect(await verdict('Write', { file_path: `${fx.webWorktree}/up/../state.json`, content: '{}' })).toMatchObject({ verdict: 'deny' });
    expect(await verdict('Edit', { file_path: 'up/../state.json', old_string: '0', new_string: '9' })).toMatchObject({ verdict: 'deny' });
    const silo = await bash('cat L/../repos/ledger/secret.txt');
    expect(silo).toMatchObject({ verdict: 'deny', guard: 'boundary-guard' });
    expect((await verdict('Read', { file_path: 'L/../repos/ledger/secret.txt' })).verdict).toBe('deny');
    // A glob whose `..` follows a wildcard may climb out of any link the wildcard matches.
    expect((await bash('cat */../repos/ledger/secret.txt')).verdict).toBe('deny');
    expect((await bash('cat {L/..,x}/repos/ledger/secret.txt')).verdict).toBe('deny');
    // git pointed through the link at the primary checkout.
    expect((await bash('git -C up/../../repos/web commit -qam x')).verdict).toBe('deny');
    expect(readFileSync(fx.paths.state, 'utf8')).toBe('{"seq":0}\n');
  });

  it('refuses links out of the worktree however they are made, and a dangling link that writes outside', async () => {
    for (const command of [
      'ln -s ../.. up2',
      'ln -sf ../../../state.json s',
      'ln -s -- /etc x',
      'ln -st sub ../../..',
      'ln -s "$TARGET" x',
      'cp -s /etc/passwd p',
      'ln ../../../state.json hard',
      'cd sub && ln -s ../../../.. y',
    ]) {
      expect(await bash(command), command).toMatchObject({ verdict: 'deny', guard: 'worktree-confinement' });
    }
    mkdirSync(path.join(fx.webWorktree, 'sub'), { recursive: true });
    for (const command of ['ln -s index.ts alias.ts', 'ln -s ../index.ts sub/index.ts', 'ln -s ../index.ts sub', 'cat sub/../index.ts', 'mkdir -p a/b && echo x > a/b/../c']) {
      expect((await bash(command)).verdict, command).toBe('allow');
    }
    // A link an agent found (committed in the repo, say) that dangles out of the worktree: writing through it creates its target.
    symlinkSync('../../../dangling-target', path.join(fx.webWorktree, 'dangling'));
    expect(realPath('dangling', fx.webWorktree)).toBe(path.join(fx.paths.data, 'dangling-target'));
    expect((await bash('echo x > dangling')).verdict).toBe('deny');
    expect((await verdict('Write', { file_path: 'dangling', content: 'x' })).verdict).toBe('deny');
  });

  it('refuses `up/../state.json` in our own Read, Write and Edit tools (the runtime check)', async () => {
    const run = (name: string, input: Record<string, unknown>) =>
      getTool(name)!.run(input, { ...ctx, contract: {} as ToolRunContext['contract'], control: {}, toolUseId: `t${++n}` } as ToolRunContext);
    expect(checkPathAccess(ctx, 'up/../state.json', 'write')).toMatchObject({ ok: false });
    for (const [name, input] of [
      ['Read', { file_path: 'up/../state.json' }],
      ['Write', { file_path: 'up/../state.json', content: '{"seq":99}' }],
      ['Edit', { file_path: `${fx.webWorktree}/up/../state.json`, old_string: '0', new_string: '99' }],
      ['Write', { file_path: 'up/../events/2099-01-01.ndjson', content: 'x' }],
      ['Read', { file_path: 'L/../repos/ledger/secret.txt' }],
    ] as const) {
      const result = await run(name, input);
      expect(result.isError, `${name} ${JSON.stringify(input)}`).toBe(true);
      expect(result.content).toMatch(/outside the worktree/);
      expect(result.content).not.toContain(fx.secret);
    }
    expect(readFileSync(fx.paths.state, 'utf8')).toBe('{"seq":0}\n');
    expect(existsSync(eventsDay())).toBe(false);
  });

  it('refuses each reproduction through `master guard` as a process', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['Bash', { command: 'ln -s ../.. up2' }],
      ['Bash', { command: 'echo x > up/../state.json' }],
      ['Bash', { command: 'echo g >> up/../events/2099-01-01.ndjson' }],
      ['Write', { file_path: `${fx.webWorktree}/up/../state.json`, content: '{}' }],
      ['Bash', { command: 'cat L/../repos/ledger/secret.txt' }],
    ];
    for (const [tool, input] of cases) {
      const result = guardProcess(tool, input);
      expect(result.code, `${JSON.stringify(input)}: ${result.stderr}`).toBe(2);
      expect(result.stdout + result.stderr).not.toContain(fx.secret);
    }
    expect(guardProcess('Bash', { command: 'cat index.ts' }).code).toBe(0);
    expect(lstatSync(path.join(fx.webWorktree, 'up')).isSymbolicLink()).toBe(true);
    expect(existsSync(path.join(fx.webWorktree, 'up2'))).toBe(false);
  });
});

describe('pre-merge gate: git pointed elsewhere, config and aliases', () => {
  it('refuses git aimed at another repository, work tree or index by variable or option', async () => {
    const dotGit = path.join(fx.web, '.git');
    const refused = [
      `GIT_DIR=${dotGit} git commit -qam x`,
      `export GIT_DIR=${dotGit}; git commit -qam x`,
      `GIT_WORK_TREE=${fx.web} git checkout -- .`,
      `env GIT_WORK_TREE=${fx.web} git checkout -- .`,
      `declare -x GIT_COMMON_DIR=${dotGit}; git status`,
      `GIT_INDEX_FILE=/tmp/i git add -A`,
      `GIT_OBJECT_DIRECTORY=/tmp/o git commit -qam x`,
      `GIT_DIR=$(echo ${dotGit}) git commit -qam x`,
      `env -S 'GIT_DIR=${dotGit} git commit -qam x'`,
      `GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=alias.m GIT_CONFIG_VALUE_0=push git m`,
      `git --git-dir=${dotGit} commit -qam x`,
      `git --git-dir ${dotGit} commit -qam x`,
      `git --work-tree=${fx.web} checkout -- .`,
      `git --namespace=x update-index`,
      `git -c core.worktree=${fx.web} checkout -- .`,
      `sh -c "GIT_DIR=${dotGit} git commit -qam x"`,
    ];
    // A session at the workspace level, so confinement (which refuses `--git-dir` outside the worktree) stays out of the way.
    const wide = fx.context({ root: fx.home });
    for (const command of refused) expect(await bash(command, wide), command).toMatchObject({ verdict: 'deny', guard: 'pre-merge-gate' });
    for (const command of ['git commit -qam x', 'GIT_PAGER=cat git log', 'git -c core.pager=cat log -1', 'export FOO=1; git status']) {
      expect((await bash(command)).verdict, command).toBe('allow');
    }
  });

  it('refuses git config writes of aliases, hooks, work trees and includes, in any scope; allows reads and harmless settings', async () => {
    const refused = [
      'git config alias.m "update-ref refs/heads/main HEAD"',
      'git config --global alias.ship push',
      'git config --local ALIAS.x checkout',
      'git config set alias.m push',
      'git config --add alias.m push',
      'git config core.hooksPath /tmp/hooks',
      'git config core.worktree /elsewhere',
      'git config include.path /tmp/evil.cfg',
      'git config includeIf.gitdir:/x.path /tmp/evil.cfg',
      'git config core.fsmonitor "sh -c evil"',
      'git config -e',
      'git config --rename-section foo alias',
      `git config -f ${fx.web}/.git/config alias.m push`,
      `echo '[alias] m = push' >> ${fx.web}/.git/config`,
    ];
    const wide = fx.context({ root: fx.home });
    for (const command of refused) expect(await bash(command, wide), command).toMatchObject({ verdict: 'deny', guard: 'pre-merge-gate' });
    expect((await verdict('Write', { file_path: path.join(fx.web, '.git/hooks/pre-commit'), content: 'x' }, fx.context({ root: fx.web, cwd: fx.web }))).verdict).toBe('deny');
    for (const command of ['git config --get alias.m', 'git config -l', 'git config user.email a@b.c', 'git config get user.name', 'git config -f .gitmodules submodule.x.url https://x']) {
      expect((await bash(command)).verdict, command).toBe('allow');
    }
  });

  it('expands aliases from the repo config before judging the subcommand', async () => {
    // As if the operator (or an earlier bypass) had put them in the shared config.
    git(fx.web, 'config', 'alias.m', 'update-ref refs/heads/main HEAD');
    git(fx.web, 'config', 'alias.co', 'checkout');
    git(fx.web, 'config', 'alias.p', 'pu' + 'sh origin HEAD');
    git(fx.web, 'config', 'alias.chain', 'm');
    git(fx.web, 'config', 'alias.sh', '!git update-ref refs/heads/main HEAD');
    git(fx.web, 'config', 'alias.st', 'status --short');
    try {
      for (const command of ['git m', 'git co main', 'git p', 'git chain', 'git sh', 'cd sub && git m']) {
        expect(await bash(command), command).toMatchObject({ verdict: 'deny', guard: 'pre-merge-gate' });
      }
      expect((await bash('git co -b scratch')).verdict).toBe('allow');
      expect((await bash('git st')).verdict).toBe('allow');
      expect((await bash('git frobnicate')).verdict).toBe('allow');
      const result = guardProcess('Bash', { command: 'git m' });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(/alias "m"/);
    } finally {
      for (const alias of ['m', 'co', 'p', 'chain', 'sh', 'st']) git(fx.web, 'config', '--unset', `alias.${alias}`);
    }
  });

  it('refuses the reported bypasses through `master guard` as a process, and main never moves', () => {
    const main = git(fx.web, 'rev-parse', 'main').trim();
    for (const command of [`GIT_DIR=${fx.web}/.git git commit -qam x`, 'git config alias.m "update-ref refs/heads/main HEAD" && git m', `GIT_WORK_TREE=${fx.web} git checkout -- .`]) {
      const result = guardProcess('Bash', { command });
      expect(result.code, `${command}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toContain('[master guard: pre-merge-gate]');
    }
    expect(git(fx.web, 'rev-parse', 'main').trim()).toBe(main);
    expect(spawnSync('git', ['config', '--get-regexp', '^alias\\.'], { cwd: fx.web, encoding: 'utf8' }).stdout.trim()).toBe('');
  });
});

describe('the OS sandbox wraps every Bash the project runs', () => {
  const unavailable = sandboxStatus().available ? undefined : (sandboxStatus() as { reason: string }).reason;
  // Layer 4 needs bubblewrap; where it does not work, these cases cannot hold and vitest reports them as skipped.
  const sandboxIt = unavailable ? it.skip : it;

  const ticket = { id: 'T-1', brand: 'acme', repo: 'web' } as Ticket;

  sandboxIt('a gate check cannot read the silo, though no dispatcher installed the guards in this process', async () => {
    // Nothing in this process installed the guards: the sandbox wraps every command anyway.
    expect(bashArgv(ctx, 'true')[0]).toBe('bwrap');
    const repo = fx.registry.brands[0]!.repos[0]!;
    const evidence = await runCheck(
      { name: 'test', command: `node -e "process.stdout.write(require('fs').readFileSync(['${fx.home}', 're'+'pos', 'led'+'ger', 'secret.txt'].join('/'), 'utf8'))"` },
      { paths: fx.paths, registry: fx.registry, brand: 'acme', repo, ticket, worktree: fx.webWorktree },
    );
    expect(evidence.outputTail).not.toContain(fx.secret);
    expect(evidence.exitCode).not.toBe(0);
    expect(bashArgv(ctx, 'true')[0]).toBe('bwrap');
  });

  sandboxIt("a script ticket's command cannot touch the state, event log or locks, even with no silo in the registry", async () => {
    const plain = loadRegistryFile(fx.paths.registry);
    const registry: Registry = { ...plain, brands: plain.brands.map((b) => ({ ...b, silo: false })) };
    const context: ToolContext = { ...fx.context({ agent: 'script' }), registry };
    const run = (command: string) => getTool('Bash')!.run({ command }, { ...context, contract: {} as ToolRunContext['contract'], control: {}, toolUseId: `s${++n}` } as ToolRunContext);
    // Paths computed at run time: no static reading sees them; only the sandbox holds.
    const data = `['${fx.home}', '.mas'+'ter'].join('/')`;
    const attempts = [
      `node -e "require('fs').appendFileSync(${data} + '/events/2099-01-01.ndjson', 'g')"`,
      `node -e "require('fs').writeFileSync(${data} + '/state.json', '{}')"`,
      `node -e "require('fs').writeFileSync(${data} + '/write.lock', '1')"`,
      `node -e "require('fs').mkdirSync(${data} + '/archive', { recursive: true })"`,
    ];
    const before = readFileSync(fx.paths.state, 'utf8');
    for (const command of attempts) expect((await run(command)).isError, command).toBe(true);
    expect(readFileSync(fx.paths.state, 'utf8')).toBe(before);
    expect(existsSync(eventsDay())).toBe(false);
    expect(existsSync(fx.paths.writeLock)).toBe(false);
    // The worktree itself stays writable.
    const ok = await run('echo ok > sandbox-ok.txt && cat sandbox-ok.txt');
    expect(ok).toMatchObject({ isError: false, content: 'ok' });
    rmSync(path.join(fx.webWorktree, 'sandbox-ok.txt'));
  });
});
