import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMergeGate } from '../src/gate/index.js';
import { gitTargetFor, runGit, trustRepo } from '../src/git/safe.js';
import { gradeA, makeGateWorkspace, ticketInReview } from './helpers/gate.js';
import { git } from './helpers/workspace.js';

/**
 * The gate inspects a candidate before it checks anything out or runs
 * anything: a ticket worktree whose `.git` was rewritten, a branch that
 * brings `.gitattributes` drivers or `.gitmodules`, is refused with a reason,
 * and main does not move.
 */
describe('the gate refuses a candidate that could make git run a program', () => {
  it('rejects .gitattributes with a filter driver, and main stays', async () => {
    const gw = await makeGateWorkspace();
    const main = git(gw.repo, 'rev-parse', 'main');
    const ticket = ticketInReview(gw, { '.gitattributes': '*.js filter=evil\n', 'src/x.js': 'export const x = 1;\n' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('filter=evil') });
    expect(gw.ws.tickets.get(ticket.id).feedback.at(-1)).toContain('refused before anything ran');
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
  });

  it('rejects .gitmodules', async () => {
    const gw = await makeGateWorkspace();
    ticketInReview(gw, { '.gitmodules': '[submodule "x"]\n\tpath = x\n\turl = ../elsewhere\n' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('submodules') });
  });

  it('rejects a branch that brings Claude Code settings (.claude/), and main stays', async () => {
    const gw = await makeGateWorkspace();
    const main = git(gw.repo, 'rev-parse', 'main');
    ticketInReview(gw, { '.claude/settings.local.json': '{"disableAllHooks": true}\n' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('.claude/') });
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
  });

  it('rejects a ticket whose worktree .git names another git folder; master never used that folder', async () => {
    const gw = await makeGateWorkspace();
    const main = git(gw.repo, 'rev-parse', 'main');
    const ticket = ticketInReview(gw, { 'src/y.js': 'export const y = 2;\n' });
    const worktree = gw.ws.tickets.get(ticket.id).runs[0]!.worktree;
    const fake = path.join(worktree, '.fakegit');
    git(worktree, 'init', '-q', '--bare', fake);
    writeFileSync(path.join(worktree, '.git'), `gitdir: ${fake}\n`);
    // Master's git (once it opened the registry's repo) still finds the real worktree folder from the repo's records.
    expect(gitTargetFor(worktree)).toBeNull();
    trustRepo(gw.repo);
    expect(gitTargetFor(worktree)?.gitDir).toContain(path.join('.git', 'worktrees'));
    expect((await runGit(worktree, ['rev-parse', '--abbrev-ref', 'HEAD'])).stdout.trim()).toBe(`master/${ticket.id}`);
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ result: 'rejected', reason: expect.stringContaining('rewritten') });
    expect(git(gw.repo, 'rev-parse', 'main')).toBe(main);
  });

  it('still merges a branch whose .gitattributes only sets line endings', async () => {
    const gw = await makeGateWorkspace();
    const ticket = ticketInReview(gw, { '.gitattributes': '*.js text eol=lf\n*.png -diff\n' });
    const [outcome] = await runMergeGate(gw.ws, { bus: gw.bus, doctor: gradeA });
    expect(outcome).toMatchObject({ ticket: ticket.id, result: 'merged' });
  });
});
