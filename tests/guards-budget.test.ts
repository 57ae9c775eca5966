import { beforeAll, describe, expect, it } from 'vitest';
import type { ToolContext } from '../src/guards/types.js';
import { buildGuardChain, type GuardChain } from '../src/guards/index.js';
import { analyzeShell, DEFAULT_BUDGET, MAX_CWDS } from '../src/guards/shell/analyze.js';
import { makeGuardFixture, type GuardFixture } from './guards-fixture.js';
import { PATHOLOGICAL } from './helpers/guardInputs.js';

/**
 * The guard decides in bounded time: inputs that made the shell reading grow
 * exponentially (every `cd` may fail, so n of them gave 2^n folders) finish
 * within the step budget, and past the budget (size, steps, nesting) the call
 * is refused with a reason that says so. Time is bounded by steps, so the
 * tests count steps, never the clock.
 */
let fx: GuardFixture;
let chain: GuardChain;
let strict: ToolContext;
let n = 0;
const bash = (command: string, context = strict) => chain.evaluate({ id: `b${++n}`, name: 'Bash', input: { command } }, context);

beforeAll(() => {
  fx = makeGuardFixture();
  chain = buildGuardChain({ paths: fx.paths, registry: fx.registry, audit: false });
  // Without the OS sandbox the static reading is the wall: what it cannot pin down is refused.
  strict = { ...fx.context(), registry: { ...fx.registry, sandbox: 'off' } };
});

describe('shell analysis in bounded steps', () => {
  it('follows a chain of cd in linear steps: the folders are capped, then the cwd is unknown', () => {
    for (const command of [PATHOLOGICAL.cdChain, PATHOLOGICAL.cdUpDown, PATHOLOGICAL.cdSubshells]) {
      const analysis = analyzeShell(command, { cwd: fx.webWorktree });
      expect(analysis.overBudget, command.slice(0, 40)).toBeUndefined();
      // 40 cds over at most MAX_CWDS folders each, plus the paths: far below 2^40, and below the budget.
      expect(analysis.steps).toBeLessThan(40 * MAX_CWDS * 4);
      const last = analysis.commands[analysis.commands.length - 1]!;
      expect(last.cwds.length).toBeLessThanOrEqual(MAX_CWDS);
      expect(last.cwdUnknown).toBe(true);
    }
  });

  it('keeps following a short chain exactly (no cwd made unknown before the cap)', () => {
    const analysis = analyzeShell('cd src 2>/dev/null; cd lib 2>/dev/null; cat index.ts', { cwd: fx.webWorktree });
    expect(analysis.commands.at(-1)).toMatchObject({ cwds: expect.arrayContaining([`${fx.webWorktree}/src/lib`, fx.webWorktree]) });
    expect(analysis.commands.at(-1)!.cwdUnknown).toBeUndefined();
  });

  it('stops at the step budget, the size budget and the nesting depth, and says which', () => {
    expect(analyzeShell(PATHOLOGICAL.manyPaths, { cwd: fx.webWorktree })).toMatchObject({
      overBudget: expect.stringContaining(`more than ${DEFAULT_BUDGET.maxSteps} steps`),
      steps: DEFAULT_BUDGET.maxSteps,
    });
    expect(analyzeShell(PATHOLOGICAL.huge, { cwd: fx.webWorktree }).overBudget).toContain(`characters long, more than the ${DEFAULT_BUDGET.maxChars}`);
    expect(analyzeShell(PATHOLOGICAL.deep, { cwd: fx.webWorktree }).overBudget).toMatch(/nests .* deeper than the guard reads/);
    expect(analyzeShell('cat a b c', { cwd: fx.webWorktree, budget: { maxSteps: 3 } }).overBudget).toMatch(/more than 3 steps/);
  });
});

describe('the chain on those inputs', () => {
  it('refuses past the budget with the reason, before any path guard', async () => {
    for (const command of [PATHOLOGICAL.manyPaths, PATHOLOGICAL.huge, PATHOLOGICAL.deep]) {
      for (const context of [strict, fx.context()]) {
        const decision = await bash(command, context);
        expect(decision).toMatchObject({ verdict: 'deny', guard: 'tool-policy' });
        expect(decision.reason).toMatch(/could not check this command in bounded time/);
      }
    }
  });

  it('decides a long cd chain on its merits: a read after it may be anywhere, so without the sandbox it is refused saying why', async () => {
    const decision = await bash(PATHOLOGICAL.cdChain);
    expect(decision.verdict).toBe('deny');
    expect(decision.reason).toMatch(/\((cd|cat)\) is relative to a folder that cannot be known .* so it may reach .*ledger/);
    expect((await bash(`${PATHOLOGICAL.cdChain.replace(/cat f$/, 'echo x > out.txt')}`)).verdict).toBe('deny');
    // With the OS sandbox running it, a path that could be anywhere is harmless: the same chain passes, quickly.
    for (const command of [PATHOLOGICAL.cdChain, PATHOLOGICAL.cdUpDown, PATHOLOGICAL.cdSubshells]) {
      expect((await bash(command, fx.context())).verdict, command.slice(0, 40)).toBe('allow');
    }
  });
});
