import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ToolContext } from '../src/guards/types.js';
import { buildGuardChain, loadHooks } from '../src/guards/index.js';
import { makeGuardFixture, type GuardFixture } from './guards-fixture.js';

/**
 * Real Claude Code–style hook scripts (bash and python3) following the
 * protocol, each in its own hooks folder with the shipped built-ins.
 */
let fx: GuardFixture;
let ctx: ToolContext;
let n = 0;

function script(name: string, body: string): string {
  const file = path.join(fx.home, 'scripts', name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

function chainWith(hook: Record<string, unknown>, extra?: Record<string, unknown>) {
  const dir = path.join(fx.home, `hooks-${++n}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'zz-custom.json'), JSON.stringify(hook));
  // Unknown tools (MCP ones) pass only when a hook file allows them.
  if (extra) writeFileSync(path.join(dir, 'deny-rules.json'), JSON.stringify(extra));
  return buildGuardChain({ paths: fx.paths, registry: fx.registry, hooks: loadHooks(dir), audit: false });
}

const call = (name = 'Bash', input: Record<string, unknown> = { command: 'npm test' }) => ({ id: `toolu_${++n}`, name, input });

beforeAll(() => {
  fx = makeGuardFixture();
  ctx = fx.context({ transcriptPath: '/tmp/transcript.jsonl' });
});

describe('external hook commands', () => {
  it('blocks on exit 2 with stderr as the reason (bash)', async () => {
    const file = script('exit2.sh', '#!/usr/bin/env bash\ncat >/dev/null\necho "no npm today" >&2\nexit 2\n');
    const decision = await chainWith({ event: 'PreToolUse', matcher: 'Bash', command: file }).evaluate(call(), ctx);
    expect(decision).toEqual({ verdict: 'deny', guard: 'hooks/zz-custom.json', reason: 'no npm today' });
  });

  it('honours a JSON deny, allow and ask (python3)', async () => {
    const file = script(
      'decide.py',
      [
        '#!/usr/bin/env python3',
        'import json, sys',
        'data = json.load(sys.stdin)',
        'cmd = data["tool_input"].get("command", "")',
        'decision = "deny" if "rm" in cmd else "ask" if "deploy" in cmd else "allow"',
        'print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": decision, "permissionDecisionReason": f"policy says {decision}"}}))',
      ].join('\n'),
    );
    const chain = chainWith({ event: 'PreToolUse', matcher: 'Bash', command: `python3 ${file}` });
    expect(await chain.evaluate(call('Bash', { command: 'rm -rf build' }), ctx)).toMatchObject({ verdict: 'deny', reason: 'policy says deny' });
    expect(await chain.evaluate(call('Bash', { command: './deploy.sh' }), ctx)).toMatchObject({ verdict: 'ask', reason: 'policy says ask' });
    expect(await chain.evaluate(call('Bash', { command: 'npm test' }), ctx)).toMatchObject({ verdict: 'allow' });
  });

  it('honours the older decision: "block"', async () => {
    const file = script('old.sh', '#!/usr/bin/env bash\ncat >/dev/null\necho \'{"decision":"block","reason":"old style no"}\'\n');
    expect(await chainWith({ event: 'PreToolUse', command: file }).evaluate(call(), ctx)).toMatchObject({ verdict: 'deny', reason: 'old style no' });
  });

  it('blocks when the hook times out, and kills it', async () => {
    const marker = path.join(fx.home, 'slow-finished');
    // A sleep of ten minutes named after this test process, so the check below sees only this hook's.
    const sleep = `sleep 600.${process.pid}`;
    const file = script('slow.sh', `#!/usr/bin/env bash\n${sleep}\ntouch ${marker}\n`);
    const decision = await chainWith({ event: 'PreToolUse', command: file, timeout: 0.5 }).evaluate(call(), ctx);
    expect(decision.verdict).toBe('deny');
    expect(decision.reason).toMatch(/timed out after 0.5 s/);
    // Killed, not left running: its sleep is gone and it never reached the line after it.
    await vi.waitFor(() => expect(spawnSync('pgrep', ['-f', sleep]).status).toBe(1), { timeout: 15_000, interval: 20 });
    expect(() => readFileSync(marker)).toThrow();
  }, 20_000);

  it('blocks when the hook crashes (fail closed, unlike Claude Code)', async () => {
    const file = script('crash.py', '#!/usr/bin/env python3\nimport json, sys\njson.load(sys.stdin)\nraise RuntimeError("boom")\n');
    const decision = await chainWith({ event: 'PreToolUse', command: file }).evaluate(call(), ctx);
    expect(decision.verdict).toBe('deny');
    expect(decision.reason).toMatch(/failed \(exit 1\).*RuntimeError: boom/);
    const missing = await chainWith({ event: 'PreToolUse', command: path.join(fx.home, 'no-such-hook') }).evaluate(call(), ctx);
    expect(missing.verdict).toBe('deny');
  });

  it("gets exactly Claude Code's hook JSON, CLAUDE_PROJECT_DIR, the worktree as cwd and the operator's PATH", async () => {
    const out = path.join(fx.home, 'seen.json');
    const file = script(
      'record.py',
      `#!/usr/bin/env python3\nimport json, os, sys\ndata = json.load(sys.stdin)\njson.dump({"input": data, "project": os.environ.get("CLAUDE_PROJECT_DIR"), "cwd": os.getcwd(), "path": os.environ.get("PATH")}, open(${JSON.stringify(out)}, "w"))\n`,
    );
    const c = call('Edit', { file_path: 'index.ts', old_string: 'a', new_string: 'b' });
    expect((await chainWith({ event: 'PreToolUse', matcher: 'Edit|Write', command: file }).evaluate(c, ctx)).verdict).toBe('allow');
    const seen = JSON.parse(readFileSync(out, 'utf8'));
    expect(seen.input).toEqual({
      session_id: 'test-session',
      transcript_path: '/tmp/transcript.jsonl',
      cwd: fx.webWorktree,
      hook_event_name: 'PreToolUse',
      tool_name: 'Edit',
      tool_input: { file_path: 'index.ts', old_string: 'a', new_string: 'b' },
      tool_use_id: c.id,
    });
    expect(seen.project).toBe(fx.webWorktree);
    expect(seen.cwd).toBe(fx.webWorktree);
    // The interpreter may prepend its own folders (version managers do); the operator's PATH is all there.
    expect(seen.path).toContain(process.env.PATH);
  });

  it('meets tools the built-ins do not know when its matcher fits, and not otherwise', async () => {
    const file = script('mcp.sh', '#!/usr/bin/env bash\ncat >/dev/null\necho "no refunds" >&2\nexit 2\n');
    const chain = chainWith(
      { event: 'PreToolUse', matcher: 'mcp__payments__.*', command: file },
      { event: 'PreToolUse', guard: 'deny-rules', rules: [], allow: ['mcp__payments', 'mcp__wiki__search'] },
    );
    expect(await chain.evaluate(call('mcp__payments__refund', { amount: 10 }), ctx)).toMatchObject({ verdict: 'deny', reason: 'no refunds' });
    expect((await chain.evaluate(call('mcp__wiki__search', { q: 'x' }), ctx)).verdict).toBe('allow');
    expect((await chain.evaluate(call('Bash', { command: 'ls' }), ctx)).verdict).toBe('allow');
  });

  it('runs PostToolUse hooks after the tool, with its response', async () => {
    const out = path.join(fx.home, 'post.json');
    const file = script('post.sh', `#!/usr/bin/env bash\ncat > ${out}\n`);
    const chain = chainWith({ event: 'PostToolUse', matcher: 'Bash', command: file });
    const c = call();
    for (const hook of chain.after) await hook.after(c, ctx, { content: 'all tests passed', isError: false });
    const seen = JSON.parse(readFileSync(out, 'utf8'));
    expect(seen).toMatchObject({ hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: { content: 'all tests passed' } });
  });
});
