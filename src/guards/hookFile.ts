import * as z from 'zod/mini';
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
    $schema: z.optional(z.string()),
    description: z.optional(z.string()),
    event: z.enum(HOOK_EVENTS),
    matcher: z._default(z.string(), '*'),
    guard: z.optional(z.enum(BUILTIN_GUARDS)),
    command: z.optional(z.string().check(z.minLength(1, 'a non-empty shell command'))),
    /** Seconds an external command may take before it is killed (and, before a tool runs, blocks). */
    timeout: z._default(z.number().check(z.positive(), z.lte(3600)), 60),
    enabled: z._default(z.boolean(), true),
    /** deny-rules: Claude Code permission rules (`Read(./secrets/**)`, `Bash(git push:*)`). */
    rules: z.optional(z.array(z.string().check(z.minLength(1)))),
    /** Tools allowed beyond the ones master knows (unknown tools are refused): `mcp__server`, `mcp__server__tool`, `Name`. */
    allow: z.optional(z.array(z.string().check(z.regex(/^[A-Za-z0-9_.-]+\*?$/, 'a tool name: mcp__server, mcp__server__tool, a tool name, or a prefix ending in *')))),
    /** pre-merge-gate: branch names protected besides every repo's main branch. */
    branches: z.optional(z.array(z.string().check(z.minLength(1)))),
    /** worktree-confinement: folders Bash may also write to (default: the system temp folder). */
    writable: z.optional(z.array(z.string().check(z.minLength(1)))),
  })
  .check(
    z.superRefine((hook, ctx) => {
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
    }),
  );

export type HookFile = z.output<typeof HookFileSchema>;

/** A hook as loaded: its file and its validated content. */
export interface HookSpec extends HookFile {
  /** The file name inside hooks/ (e.g. `deny-rules.json`): how decisions name the hook. */
  file: string;
}
