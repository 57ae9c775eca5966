import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../src/guards/types.js';
import { buildGuardChain, type GuardChain } from '../src/guards/index.js';
import { sandboxBashArgv, sandboxEnforced, sandboxStatus } from '../src/guards/silo/sandbox.js';
import { makeGuardFixture, type GuardFixture } from './guards-fixture.js';

/**
 * The static reading is a fast, explainable pre-filter; the OS sandbox is the
 * wall. With the sandbox running the command, everyday commands that merely
 * could touch anything pass; clearly bad ones are still refused, each with
 * its real reason. Without the sandbox ("sandbox": "off") the strict reading
 * stays. acme's worktree holds a Python venv whose links lead out of it (to
 * the system python and to a cache in the temp folder).
 */
let fx: GuardFixture;
let chain: GuardChain;
let sandboxed: ToolContext;
let strict: ToolContext;
let cache: string;
let n = 0;
const run = (name: string, input: Record<string, unknown>, context: ToolContext) => chain.evaluate({ id: `e${++n}`, name, input }, context);

const EVERYDAY = [
  'npm test',
  'npx vitest run',
  'pytest -q',
  '.venv/bin/python -m pytest -q',
  'source .venv/bin/activate && pytest -q',
  "find . -name '*.js' | xargs grep -n TODO",
  'for f in $(git ls-files); do wc -l "$f"; done',
  'git ls-files -z | xargs -0 sed -n 1p',
  'node script.js "$1"',
  'ls .venv/lib/*',
  'cat src/*.ts',
  'grep -rn TODO .',
  'tar czf /tmp/x.tgz .',
  'git status',
  'git diff',
  'git diff main',
  'git commit -am msg',
  'cd src && ls',
  'python3 -c "import sys; print(sys.argv)" "$@"',
];

/** Refused with or without the sandbox: the reason names what is wrong. */
const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
  ['Bash', { command: 'cat ../../../../repos/ledger/secret.txt' }, /belongs to brand "blockwise"/],
  ['Bash', { command: 'echo {} > ../../../state.json' }, /state\.json .*outside the worktree/],
  ['Bash', { command: 'echo x > ../../../../repos/web/index.ts' }, /outside the worktree/],
  ['Bash', { command: 'git push origin HEAD:main' }, /git push/],
  ['Bash', { command: 'git merge master/T-1' }, /merge/],
  ['Bash', { command: 'ln -s ../../../../repos/ledger l' }, /symlink/],
  ['Bash', { command: `echo '{"disableAllHooks":true}' > .claude/settings.local.json` }, /\.claude folder/],
  ['Bash', { command: 'cp /tmp/x.json .claude/settings.json' }, /\.claude folder/],
  ['Bash', { command: 'echo x | tee .claude/settings.json' }, /\.claude folder/],
  ['Bash', { command: 'mv evil.json .claude/settings.local.json' }, /\.claude folder/],
  ['Bash', { command: `python3 -c "open('.claude/settings.local.json','w').write('{}')"` }, /\.claude folder/],
  ['Bash', { command: `sed -i s/guard/true/ .claude/settings.json` }, /\.claude folder/],
  ['Bash', { command: 'rm -rf .c*' }, /\.claude folder/],
  ['Write', { file_path: '.claude/settings.local.json', content: '{}' }, /\.claude folder/],
  ['Edit', { file_path: '.claude/settings.json', old_string: 'a', new_string: 'b' }, /\.claude folder/],
  ['mcp__evil__exfiltrate', { data: 'x' }, /not one master knows.*"mcp__evil".*"allow" in hooks\/deny-rules\.json/],
  ['SomeNewTool', {}, /not one master knows/],
];

beforeAll(() => {
  fx = makeGuardFixture();
  // The silo link is another suite's subject; the venv is this one's.
  rmSync(path.join(fx.webWorktree, 'link'));
  cache = mkdtempSync(path.join(tmpdir(), 'venv-cache-'));
  const venv = path.join(fx.webWorktree, '.venv');
  mkdirSync(path.join(venv, 'bin'), { recursive: true });
  mkdirSync(path.join(venv, 'lib', 'python3', 'site-packages'), { recursive: true });
  symlinkSync('/usr/bin/python3', path.join(venv, 'bin', 'python'));
  symlinkSync(cache, path.join(venv, 'lib', 'cache'));
  writeFileSync(path.join(venv, 'bin', 'activate'), 'export VIRTUAL_ENV=.venv\n');
  mkdirSync(path.join(fx.webWorktree, 'src'));
  mkdirSync(path.join(fx.webWorktree, '.claude'));
  writeFileSync(path.join(fx.webWorktree, '.claude', 'settings.json'), '{}');
  chain = buildGuardChain({ paths: fx.paths, registry: fx.registry, audit: false });
  sandboxed = fx.context();
  strict = { ...fx.context(), registry: { ...fx.registry, sandbox: 'off' } };
});

afterAll(() => rmSync(cache, { recursive: true, force: true }));

describe('everyday commands', () => {
  it('are allowed when the OS sandbox runs them', async () => {
    // The CI machine has bubblewrap; the relaxation exists only where the sandbox does.
    expect(sandboxStatus()).toMatchObject({ available: true });
    expect(sandboxEnforced(sandboxed.registry)).toBe(true);
    const refused: string[] = [];
    for (const command of EVERYDAY) {
      const decision = await run('Bash', { command }, sandboxed);
      if (decision.verdict !== 'allow') refused.push(`${command}: ${decision.reason}`);
    }
    expect(refused).toEqual([]);
  });

  it('stay strict without the sandbox, and a refusal names the real reason, never "/** is the ticket state"', async () => {
    expect(sandboxEnforced(strict.registry)).toBe(false);
    const decision = await run('Bash', { command: 'node script.js "$1"' }, strict);
    expect(decision.verdict).toBe('deny');
    expect(decision.reason).toMatch(/`\*` \(node\) starts with a part that cannot be known/);
    const loop = await run('Bash', { command: 'for f in $(git ls-files); do rm "$f"; done' }, strict);
    expect(loop).toMatchObject({ verdict: 'deny' });
    expect(loop.reason).not.toMatch(/^\/\*\* is/);
    // `tar` sweeps the worktree, where the venv's links lead out: without the sandbox that write is refused, saying so.
    expect((await run('Bash', { command: 'tar czf /tmp/x.tgz .' }, strict)).reason).toMatch(/symlink .*\.venv.* leads to/);
    const xargs = await run('Bash', { command: "find . -name '*.js' | xargs grep -n TODO" }, strict);
    expect(xargs.reason).toMatch(/the arguments of grep come from the input of xargs/);
    // What is known is still allowed without the sandbox.
    for (const command of ['npm test', 'git status', 'git commit -am msg', 'cat src/*.ts', 'cd src && ls']) {
      expect((await run('Bash', { command }, strict)).verdict, command).toBe('allow');
    }
  });

  it('Claude Code sessions (master guard) are never treated as sandboxed by master', async () => {
    const decision = await run('Bash', { command: 'node script.js "$1"' }, { ...sandboxed, agent: 'claude-code' });
    expect(decision.verdict).toBe('deny');
  });
});

describe('clearly bad calls', () => {
  for (const [tool, input, reason] of BAD) {
    it(`are refused with or without the sandbox: ${tool} ${JSON.stringify(input).slice(0, 60)}`, async () => {
      for (const context of [sandboxed, strict]) {
        const decision = await run(tool, input, context);
        expect(decision.verdict).toBe('deny');
        expect(decision.reason).toMatch(reason);
      }
    });
  }

  it('MCP tools pass when a hook file, the contract or the brand allows them', async () => {
    const allowing = buildGuardChain({
      paths: fx.paths,
      registry: fx.registry,
      audit: false,
      hooks: [{ file: 'deny-rules.json', event: 'PreToolUse', matcher: '*', guard: 'deny-rules', rules: [], allow: ['mcp__tickets', 'mcp__wiki__search'], timeout: 60, enabled: true }],
    });
    const verdict = async (name: string, context = sandboxed) => (await allowing.evaluate({ id: `m${++n}`, name, input: {} }, context)).verdict;
    expect(await verdict('mcp__tickets__list')).toBe('allow');
    expect(await verdict('mcp__wiki__search')).toBe('allow');
    expect(await verdict('mcp__wiki__delete')).toBe('deny');
    expect(await verdict('mcp__ticketsx__list')).toBe('deny');
    // The brand's registry-declared MCP server, and the contract's palette.
    const registry = { ...fx.registry, brands: fx.registry.brands.map((b) => (b.id === 'acme' ? { ...b, mcpServers: { db: { command: 'db-mcp', args: [], env: {} } } } : b)) };
    expect((await chain.evaluate({ id: `m${++n}`, name: 'mcp__db__query', input: {} }, { ...sandboxed, registry })).verdict).toBe('allow');
    const palette = { ...fx.registry, contracts: { executor: { tools: ['Read', 'mcp__jira__get'] } } };
    expect((await chain.evaluate({ id: `m${++n}`, name: 'mcp__jira__get', input: {} }, { ...sandboxed, registry: palette })).verdict).toBe('allow');
    expect((await chain.evaluate({ id: `m${++n}`, name: 'mcp__jira__get', input: {} }, { ...sandboxed, registry: palette, agent: 'verifier' })).verdict).toBe('deny');
  });
});

describe('the sandbox holds what the relaxed reading leaves to it', () => {
  it('hides the files the deny rules forbid reading, so `cat "$1"` finds nothing there', () => {
    const home = mkdtempSync(path.join(tmpdir(), 'home-'));
    const previous = process.env.HOME;
    try {
      mkdirSync(path.join(home, '.ssh'));
      writeFileSync(path.join(home, '.ssh', 'id_rsa'), 'PRIVATE-KEY-CANARY');
      process.env.HOME = home;
      const argv = sandboxBashArgv(sandboxed, 'cat "$1" 2>&1; true', 'bash');
      expect(argv).not.toBeNull();
      const result = spawnSync(argv!.file, [...argv!.args, 'x', path.join(home, '.ssh', 'id_rsa')], { encoding: 'utf8' });
      expect(result.stdout).not.toContain('PRIVATE-KEY-CANARY');
      expect(result.stdout).toMatch(/No such file/);
    } finally {
      process.env.HOME = previous;
      rmSync(home, { recursive: true, force: true });
    }
  });
});
