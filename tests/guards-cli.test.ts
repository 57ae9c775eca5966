import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventLog } from '../src/state/eventLog.js';
import { makeGuardFixture, type GuardFixture } from './guards-fixture.js';
import { master } from './helpers/cli.js';

/** `master guard` as Claude Code runs it: a process fed the hook JSON on stdin (the built CLI; `npm test` builds first). */
let fx: GuardFixture;
let n = 0;

function hookJson(tool: string, input: Record<string, unknown>, cwd = fx.webWorktree, event = 'PreToolUse'): string {
  return JSON.stringify({
    session_id: 'cc-session-1',
    transcript_path: path.join(fx.home, 'transcript.jsonl'),
    cwd,
    hook_event_name: event,
    tool_name: tool,
    tool_input: input,
    tool_use_id: `toolu_${++n}`,
  });
}

const guard = (input: string, args: string[] = [], cwd?: string) => master(['guard', ...args], { input, ...(cwd ? { cwd } : {}) });

beforeAll(() => {
  fx = makeGuardFixture();
});

describe('master guard (Claude Code hook protocol)', () => {
  it('allows an ordinary call with exit 0 and no output, finding the workspace from the hook cwd', () => {
    const result = guard(hookJson('Read', { file_path: 'index.ts' }), [], fx.webWorktree);
    expect(result).toMatchObject({ code: 0, stdout: '' });
  });

  // The state case runs in a session at the workspace itself, where the state file is inside the root.
  const denied: Array<[string, string, Record<string, unknown>, RegExp, string?]> = [
    ['worktree-confinement', 'Write', { file_path: '../../../../repos/web/index.ts', content: 'x' }, /outside the worktree/],
    ['ticket-state-guard', 'Bash', { command: 'cd .master && echo {} > state.json' }, /ticket state/, 'home'],
    ['pre-merge-gate', 'Bash', { command: 'git -C . push origin HEAD:main' }, /only the merge gate moves main/],
    ['boundary-guard', 'Bash', { command: 'cat link/secret.txt' }, /siloed/],
    ['deny-rules', 'Read', { file_path: '.env' }, /Read\(\.\/\.env\)/],
  ];
  for (const [guardName, tool, input, reason, where] of denied) {
    it(`denies with exit 2 and the reason on stderr: ${guardName}`, () => {
      const result = guard(hookJson(tool, input, where ? fx.home : fx.webWorktree), ['--home', fx.home]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(reason);
      expect(result.stderr).toContain(`[master guard: ${guardName}]`);
    });
  }

  it('records its refusals in the workspace event log', () => {
    const events = new EventLog(fx.paths.events).readFrom({ file: '', offset: 0 }).events.filter((e) => e.type === 'guard.decision');
    expect(events.map((e) => (e as { guard?: string }).guard)).toEqual(expect.arrayContaining(['pre-merge-gate', 'boundary-guard']));
    expect(events.find((e) => (e as { guard?: string }).guard === 'boundary-guard')).toMatchObject({ agent: 'claude-code', session: 'cc-session-1', brand: 'acme' });
  });

  it('answers ask in JSON with exit 0', () => {
    const script = path.join(fx.home, 'ask.sh');
    writeFileSync(
      script,
      '#!/usr/bin/env bash\ncat >/dev/null\necho \'{"hookSpecificOutput":{"hookEventName":"PreToolUse","permissionDecision":"ask","permissionDecisionReason":"deploys need a person"}}\'\n',
      { mode: 0o755 },
    );
    writeFileSync(path.join(fx.paths.hooks, 'zz-ask.json'), JSON.stringify({ event: 'PreToolUse', matcher: 'Bash', command: script }));
    try {
      const result = guard(hookJson('Bash', { command: './deploy.sh' }), ['--home', fx.home]);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ hookSpecificOutput: { permissionDecision: 'ask', permissionDecisionReason: expect.stringContaining('deploys need a person') } });
    } finally {
      writeFileSync(path.join(fx.paths.hooks, 'zz-ask.json'), JSON.stringify({ event: 'PreToolUse', matcher: 'NoSuchTool', command: 'true' }));
    }
  });

  it('fails closed: bad JSON, no workspace, a broken registry or hook file all exit 2', () => {
    expect(guard('not json', ['--home', fx.home]).code).toBe(2);
    expect(guard('', ['--home', fx.home]).code).toBe(2);
    expect(guard(JSON.stringify({ cwd: fx.webWorktree }), ['--home', fx.home]).code).toBe(2);
    expect(guard(hookJson('Read', { file_path: 'index.ts' }), ['--home', path.join(fx.home, 'nowhere')]).code).toBe(2);
    const bad = path.join(fx.paths.hooks, 'zz-broken.json');
    writeFileSync(bad, '{ "event": "PreToolUse", ');
    try {
      const result = guard(hookJson('Read', { file_path: 'index.ts' }), ['--home', fx.home]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('zz-broken.json');
    } finally {
      writeFileSync(bad, JSON.stringify({ event: 'PreToolUse', matcher: 'NoSuchTool', command: 'true' }));
    }
    expect(master(['guard', '--no-such-option'], { input: '{}' }).code).toBe(2);
  });

  it('prints the .claude/settings.json block that installs it', () => {
    const result = master(['--home', fx.home, 'hooks', 'export']);
    expect(result.code, result.stderr).toBe(0);
    const settings = JSON.parse(result.stdout);
    const command: string = settings.hooks.PreToolUse[0].hooks[0].command;
    expect(settings.hooks.PreToolUse[0]).toMatchObject({ matcher: '*', hooks: [{ type: 'command' }] });
    // Changed deliberately (issue 9): the command is a fail-closed wrapper that names node, the build and the workspace.
    expect(command).toMatch(/^sh -c .* master-guard /);
    expect(command).toContain(fx.home);
    expect(settings.permissions.deny).toEqual(expect.arrayContaining(['Bash(git push:*)', `Read(/${fx.ledger}/**)`]));
    // The exported command really works as Claude Code would run it.
    const run = spawnSync('sh', ['-c', command], { input: hookJson('Bash', { command: 'git merge master/T-1' }), encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/merge/);
  });
});
