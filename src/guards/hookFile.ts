import * as z from 'zod';
import { matcherProblem } from './matcher.js';
import { compileRule } from './rules.js';

/** The built-in guards, in the order the chain runs them (confinement first). */
export const BUILTIN_GUARDS = ['worktree-confinement', 'ticket-state-guard', 'pre-merge-gate', 'boundary-guard', 'deny-rules'] as const;
export type BuiltinGuardName = (typeof BUILTIN_GUARDS)[number];

export const HOOK_EVENTS = ['PreToolUse', 'PostToolUse'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

/**
 * One hook file of the workspace's `hooks/`: an event, a matcher on the tool
 * name (Claude Code's syntax), and either a built-in `guard` with its options
 * or an external `command` that speaks Claude Code's hook protocol.
 */
export const HookFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    event: z.enum(HOOK_EVENTS),
    matcher: z.string().default('*'),
    guard: z.enum(BUILTIN_GUARDS).optional(),
    command: z.string().min(1, 'a non-empty shell command').optional(),
    /** Seconds an external command may take before it is killed (and, before a tool runs, blocks). */
    timeout: z.number().positive().max(3600).default(60),
    enabled: z.boolean().default(true),
    /** deny-rules: Claude Code permission rules (`Read(./secrets/**)`, `Bash(git push:*)`). */
    rules: z.array(z.string().min(1)).optional(),
    /** Tools allowed beyond the ones master knows (unknown tools are refused): `mcp__server`, `mcp__server__tool`, `Name`. */
    allow: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\*?$/, 'a tool name: mcp__server, mcp__server__tool, a tool name, or a prefix ending in *')).optional(),
    /** pre-merge-gate: branch names protected besides every repo's main branch. */
    branches: z.array(z.string().min(1)).optional(),
    /** worktree-confinement: folders Bash may also write to (default: the system temp folder). */
    writable: z.array(z.string().min(1)).optional(),
  })
  .superRefine((hook, ctx) => {
    if (!hook.guard === !hook.command) {
      ctx.addIssue({ code: 'custom', path: [], message: 'a hook has exactly one of "guard" (a built-in) or "command" (a shell command)', params: { plain: true } });
    }
    if (hook.guard && hook.event !== 'PreToolUse') {
      ctx.addIssue({ code: 'custom', path: ['event'], message: `the built-in guard "${hook.guard}" runs before a tool ("PreToolUse")`, params: { plain: true } });
    }
    if (hook.guard === 'deny-rules' && !hook.rules) {
      ctx.addIssue({ code: 'custom', path: ['rules'], message: 'deny-rules needs a "rules" list (e.g. ["Bash(git push:*)", "Read(./secrets/**)"])', params: { plain: true } });
    }
    const problem = matcherProblem(hook.matcher);
    if (problem) ctx.addIssue({ code: 'custom', path: ['matcher'], message: problem, params: { plain: true } });
    hook.rules?.forEach((rule, i) => {
      try {
        compileRule(rule);
      } catch (error) {
        ctx.addIssue({ code: 'custom', path: ['rules', i], message: (error as Error).message, params: { plain: true } });
      }
    });
  });

export type HookFile = z.output<typeof HookFileSchema>;

/** A hook as loaded: its file and its validated content. */
export interface HookSpec extends HookFile {
  /** The file name inside hooks/ (e.g. `deny-rules.json`): how decisions name the hook. */
  file: string;
}
