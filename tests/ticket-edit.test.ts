import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openWorkspace } from '../src/workspace/open.js';
import { master, tempDir } from './helpers/cli.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';

function events(home: string): Array<Record<string, unknown>> {
  const dir = path.join(home, '.master', 'events');
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Moves a ticket as the dispatcher would (a system event no operator may send). */
async function dispatch(home: string, id: string): Promise<void> {
  const ws = await openWorkspace(home);
  try {
    ws.tickets.transition(id, 'dispatch', { by: 'dispatcher' });
  } finally {
    await ws.store.close();
  }
}

describe('master ticket edit', () => {
  it('rewrites title, body, acceptance and priority as one ticket.updated event, never state or gate evidence', () => {
    const home = makeSimpleWorkspace();
    const run = (args: string[], input?: string) => master([...args, '--home', home], input === undefined ? {} : { input });
    expect(run(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'Fix login', '--accept', 'old']).code).toBe(0);
    const bodyFile = path.join(tempDir(), 'body.md');
    writeFileSync(bodyFile, 'Safari drops the cookie.\n');

    const edited = run(['ticket', 'edit', 'T-1', '--title', 'Fix the Safari login', '--body-file', bodyFile, '--accept', 'login works in Safari', '--accept', 'a test covers it', '--priority', 'p0']);
    expect(edited.code, edited.stderr).toBe(0);
    expect(edited.stdout).toContain('T-1: edited title, body, acceptance, priority');
    const shown = JSON.parse(run(['ticket', 'show', 'T-1', '--json']).stdout);
    expect(shown).toMatchObject({
      title: 'Fix the Safari login',
      body: 'Safari drops the cookie.\n',
      acceptance: ['login works in Safari', 'a test covers it'],
      priority: 'p0',
      state: 'triage',
      gate: null,
    });

    const updates = events(home).filter((e) => e.type === 'ticket.updated');
    expect(updates).toHaveLength(1);
    expect(updates[0]).toMatchObject({ id: 'T-1', by: 'operator' });
    expect(Object.keys(updates[0]!.patch as object).sort()).toEqual(['acceptance', 'body', 'priority', 'title']);

    // The body from stdin; the same values again change nothing and log nothing.
    expect(run(['ticket', 'edit', '1', '--body', '-'], 'From stdin').code).toBe(0);
    expect(JSON.parse(run(['ticket', 'show', 'T-1', '--json']).stdout).body).toBe('From stdin');
    const same = run(['ticket', 'edit', 'T-1', '--priority', 'p0']);
    expect(same.stdout).toMatch(/nothing changed/);
    expect(events(home).filter((e) => e.type === 'ticket.updated')).toHaveLength(2);

    for (const [args, message] of [
      [['ticket', 'edit', 'T-1', '--title', '   '], /non-empty title/],
      [['ticket', 'edit', 'T-1', '--priority', 'p7'], /p7/],
      [['ticket', 'edit', 'T-1', '--body', 'x', '--body-file', bodyFile], /either --body or --body-file/],
      [['ticket', 'edit', 'T-9', '--title', 'x'], /no ticket T-9/],
    ] as Array<[string[], RegExp]>) {
      const result = run(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
  });

  it('refuses where an edit makes no sense, saying why; priority may change while work is in flight', async () => {
    const home = makeSimpleWorkspace();
    const run = (...args: string[]) => master([...args, '--home', home]);
    run('ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'Running one');
    run('ticket', 'move', 'T-1', 'approve');
    await dispatch(home, 'T-1');
    const running = run('ticket', 'edit', 'T-1', '--title', 'Changed under the agent');
    expect(running.code).toBe(2);
    expect(running.stderr).toMatch(/T-1 is running: an agent is working from its current text, so its title cannot change now; block it first/);
    expect(run('ticket', 'edit', 'T-1', '--priority', 'p1').code).toBe(0);
    expect(JSON.parse(run('ticket', 'show', 'T-1', '--json').stdout)).toMatchObject({ title: 'Running one', priority: 'p1', state: 'running' });

    // Blocked, the text may change; cancelled, it must be reopened first.
    expect(run('ticket', 'move', 'T-1', 'block').code).toBe(0);
    expect(run('ticket', 'edit', 'T-1', '--title', 'Clearer now').code).toBe(0);
    expect(run('ticket', 'move', 'T-1', 'cancel').code).toBe(0);
    const cancelled = run('ticket', 'edit', 'T-1', '--title', 'Too late');
    expect(cancelled.code).toBe(2);
    expect(cancelled.stderr).toMatch(/T-1 is cancelled; reopen it first/);
  });
});

describe('master ticket move with several ids, and operator-only messages', () => {
  it('moves every id, or none when one is refused', async () => {
    const home = makeSimpleWorkspace();
    const run = (...args: string[]) => master([...args, '--home', home]);
    for (const title of ['a', 'b', 'c', 'd']) run('ticket', 'add', '--brand', 'beta', '--repo', 'beta-app', '--title', title);

    const three = run('ticket', 'move', 'T-1', '2', 't-3', 'approve', '--json');
    expect(three.code, three.stderr).toBe(0);
    expect(JSON.parse(three.stdout).map((t: { id: string; state: string }) => `${t.id}:${t.state}`)).toEqual(['T-1:ready', 'T-2:ready', 'T-3:ready']);

    const mixed = run('ticket', 'move', 'T-4', 'T-1', 'approve');
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/T-1 is ready: "approve" is not allowed from ready; allowed from ready: block, cancel/);
    expect(JSON.parse(run('ticket', 'show', 'T-4', '--json').stdout).state).toBe('triage');

    // From running the machine also takes submit, fail and requeue: those are the system's, never offered.
    await dispatch(home, 'T-2');
    const refused = run('ticket', 'move', 'T-2', 'approve');
    expect(refused.stderr).toMatch(/allowed from running: block, cancel$/m);
    expect(refused.stderr).not.toMatch(/submit|requeue|dispatch|pass/);
    const system = run('ticket', 'move', 'T-2', 'submit');
    expect(system.code).toBe(2);
    expect(system.stderr).toMatch(/"submit" is the system's own event .*operators use: approve, block, unblock, cancel, retry, reopen/);
    expect(run('ticket', 'move', 'T-1').stderr).toMatch(/give a ticket and an event/);

    const help = run('ticket', 'move', '--help').stdout + run('ticket', '--help').stdout;
    expect(help).toMatch(/approve, block, unblock, cancel, retry,\s+reopen/);
    // ("the merge gate" is named; the event `merge` is not offered)
    expect(help).not.toMatch(/\b(dispatch|submit|pass|requeue|rebuild)\b|\bmerge\b(?! gate)/);
  });
});
