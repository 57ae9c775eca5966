import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../src/doctor/index.js';
import { parseGuardHookCommand } from '../src/guards/claudeSettings.js';
import { PATHOLOGICAL } from './helpers/guardInputs.js';
import { makeGuardFixture, type GuardFixture } from './guards-fixture.js';
import { BIN, master, tempDir } from './helpers/cli.js';

/**
 * The guard battery through `master guard` as Claude Code calls it: the hook
 * JSON on stdin of a real process (the built CLI), and the exported hook
 * command run by a shell, as Claude Code runs it.
 */
let fx: GuardFixture;
let build: string;
let n = 0;

function hookJson(tool: string, input: Record<string, unknown>, cwd = fx.webWorktree): string {
  return JSON.stringify({ session_id: 'cc-battery', cwd, hook_event_name: 'PreToolUse', tool_name: tool, tool_input: input, tool_use_id: `toolu_${++n}` });
}
const guard = (input: string, args: string[] = []) => master(['guard', '--home', fx.home, ...args], { input });
const exportSettings = (bin = BIN, args: string[] = []) => {
  const result = spawnSync(process.execPath, [bin, '--home', fx.home, 'hooks', 'export', ...args], { encoding: 'utf8', env: { ...process.env, MASTER_HOME: '' } });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as {
    hooks: { PreToolUse: Array<{ hooks: Array<{ command: string; timeout: number }> }> };
    permissions: { deny: string[] };
    sandbox: { enabled: boolean; allowUnsandboxedCommands: boolean; filesystem: { denyRead: string[]; denyWrite: string[] } };
  };
};
/** Runs an exported hook command the way Claude Code does: a shell, the hook JSON on stdin. */
const runHook = (command: string, input: string) => spawnSync('sh', ['-c', command], { input, encoding: 'utf8', timeout: 120_000 });

beforeAll(() => {
  fx = makeGuardFixture();
  // A copy of the build that the tests can move away without touching the one other suites use.
  build = tempDir('master-build-');
  cpSync(path.dirname(BIN), build, { recursive: true });
});

afterAll(() => rmSync(build, { recursive: true, force: true }));

describe('the battery through master guard', () => {
  const cases: Array<[string, string, Record<string, unknown>, RegExp]> = [
    ['a silo read', 'Bash', { command: 'cat link/secret.txt' }, /siloed/],
    ['an unknown MCP tool', 'mcp__evil__exfiltrate', { data: 'x' }, /not one master knows.*allow/],
    ['a write to Claude Code settings', 'Bash', { command: `echo '{"disableAllHooks":true}' > .claude/settings.local.json` }, /\.claude folder/],
    ['a Write to Claude Code settings', 'Write', { file_path: '.claude/settings.json', content: '{}' }, /\.claude folder/],
    ['a cd chain that used to take minutes', 'Bash', { command: PATHOLOGICAL.cdChain }, /relative to a folder that cannot be known/],
    ['a command past the step budget', 'Bash', { command: PATHOLOGICAL.manyPaths }, /could not check this command in bounded time.*steps/],
    ['a command nested past the depth', 'Bash', { command: PATHOLOGICAL.deep }, /could not check this command in bounded time.*nests/],
  ];
  for (const [what, tool, input, reason] of cases) {
    it(`blocks ${what} with exit 2 and the reason`, () => {
      const result = guard(hookJson(tool, input));
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(reason);
    });
  }

  it('allows an ordinary call', () => {
    expect(guard(hookJson('Bash', { command: 'git status' }))).toMatchObject({ code: 0, stdout: '' });
  });

  it('stops itself at its deadline with a deny, before the hook timeout, when a hook runs too long', () => {
    const script = path.join(fx.home, 'slow.sh');
    writeFileSync(script, '#!/bin/sh\ncat >/dev/null\nsleep 30\n', { mode: 0o755 });
    const file = path.join(fx.paths.hooks, 'zz-slow.json');
    writeFileSync(file, JSON.stringify({ event: 'PreToolUse', matcher: 'Bash', command: script, timeout: 60 }));
    try {
      const result = guard(hookJson('Bash', { command: 'git status' }), ['--within', '1']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/stopped at its deadline of 1 s before the hook's timeout/);
    } finally {
      rmSync(file);
    }
    expect(guard(hookJson('Bash', { command: 'git status' }), ['--within', 'soon']).code).toBe(2);
  });
});

describe('master hooks export', () => {
  it('writes a hook whose timeout covers the hooks configured now, and a self-deadline below it', () => {
    const base = exportSettings();
    expect(base.hooks.PreToolUse[0]!.hooks[0]!.timeout).toBe(60);
    const file = path.join(fx.paths.hooks, 'zz-long.json');
    writeFileSync(file, JSON.stringify({ event: 'PreToolUse', matcher: 'Bash', command: 'true', timeout: 100 }));
    try {
      const hook = exportSettings().hooks.PreToolUse[0]!.hooks[0]!;
      expect(hook.timeout).toBe(130);
      expect(parseGuardHookCommand(hook.command)).toMatchObject({ node: process.execPath, script: BIN, home: fx.home, within: 120 });
    } finally {
      rmSync(file);
    }
  });

  it('exports the deny rules and a Claude Code sandbox block: silo unreadable, control files and .claude/ unwritable', () => {
    const settings = exportSettings();
    expect(settings.permissions.deny).toEqual(expect.arrayContaining(['Bash(git push:*)', `Read(/${fx.ledger}/**)`, 'Write(./.claude/**)', 'Edit(./.claude/**)']));
    expect(settings.sandbox).toMatchObject({ enabled: true, allowUnsandboxedCommands: false });
    expect(settings.sandbox.filesystem.denyRead).toContain(`/${fx.ledger}`);
    expect(settings.sandbox.filesystem.denyWrite).toEqual(expect.arrayContaining([`/${fx.paths.registry}`, `/${fx.paths.hooks}`, `/${fx.paths.state}`, './.claude']));
    // A silo brand's session: every other brand's folders are the ones it must not reach.
    const silo = exportSettings(BIN, ['--brand', 'blockwise']);
    expect(silo.sandbox.filesystem.denyRead).toContain(`/${fx.web}`);
    expect(silo.sandbox.filesystem.denyRead).not.toContain(`/${fx.ledger}`);
  });

  it('fails closed however master fails: the build moved, node missing, a crash', () => {
    const command = exportSettings(path.join(build, 'master.js')).hooks.PreToolUse[0]!.hooks[0]!.command;
    const denied = hookJson('Bash', { command: 'git merge master/T-1' });
    const allowed = hookJson('Bash', { command: 'git status' });
    expect(runHook(command, allowed).status).toBe(0);
    const blocked = runHook(command, denied);
    expect(blocked.status).toBe(2);
    expect(blocked.stderr).toMatch(/merge/);
    expect(blocked.stderr).not.toMatch(/master guard failed/);

    // node is not where the hook says (exit 127 from the shell).
    const noNode = command.replace(process.execPath, path.join(build, 'no-such-node'));
    expect(noNode).not.toBe(command);
    const missing = runHook(noNode, allowed);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/master guard failed \(exit 127\): blocked/);

    // The build it names moved away (node exits 1).
    rmSync(build, { recursive: true, force: true });
    const moved = runHook(command, allowed);
    expect(moved.status).toBe(2);
    expect(moved.stderr).toMatch(/master guard failed \(exit 1\): blocked/);
    mkdirSync(build, { recursive: true });
  });
});

describe('master doctor on exported settings', () => {
  const check = async () => (await runDoctor({ paths: fx.paths })).checks.find((c) => c.id === 'claude.settings')!;
  const settingsFile = () => path.join(fx.web, '.claude', 'settings.json');
  const write = (settings: unknown) => {
    mkdirSync(path.dirname(settingsFile()), { recursive: true });
    writeFileSync(settingsFile(), JSON.stringify(settings));
  };

  it('passes a fresh export and flags a stale one: the build moved, too short a timeout, a hook without the wrapper', async () => {
    try {
      write(exportSettings());
      expect(await check()).toMatchObject({ status: 'pass' });

      const copy = tempDir('master-build-');
      cpSync(path.dirname(BIN), copy, { recursive: true });
      write(exportSettings(path.join(copy, 'master.js')));
      rmSync(copy, { recursive: true, force: true });
      const moved = await check();
      expect(moved.status).toBe('fail');
      expect(moved.message).toMatch(/the master build .*master\.js is missing \(moved\?\)/);

      const file = path.join(fx.paths.hooks, 'zz-long.json');
      write(exportSettings());
      writeFileSync(file, JSON.stringify({ event: 'PreToolUse', matcher: 'Bash', command: 'true', timeout: 100 }));
      try {
        const stale = await check();
        expect(stale.status).toBe('fail');
        expect(stale.message).toMatch(/PreToolUse timeout is 60 s, the hooks configured now need 130 s/);
      } finally {
        rmSync(file);
      }

      write({ hooks: { PreToolUse: [{ matcher: '*', hooks: [{ type: 'command', command: `node ${BIN} --home ${fx.home} guard`, timeout: 60 }] }] } });
      expect((await check()).message).toMatch(/without the fail-closed wrapper/);
    } finally {
      rmSync(path.dirname(settingsFile()), { recursive: true, force: true });
    }
  });
});
