import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import { UserError } from '../../errors.js';

/**
 * A script for the scripted demo model (`models.provider: "scripted"`).
 *
 * ```json
 * { "tickets": {
 *     "Fix the failing date test": [
 *       { "text": "Reading the test.", "tools": [{ "name": "Read", "input": { "file_path": "test/date.test.js" } }] },
 *       { "tools": [{ "name": "Edit", "input": { "file_path": "src/date.js", "old_string": "a", "new_string": "b" } }] },
 *       { "tools": [{ "name": "Finish", "input": { "summary": "Fixed the off-by-one." } }] }
 *     ],
 *     "T-7": [{ "error": { "kind": 529, "times": 2 }, "text": "Done.", "tools": [] }]
 *   },
 *   "fallback": [{ "text": "The scripted demo model has no script for this ticket." }] }
 * ```
 *
 * `tickets` maps a ticket id or a ticket's exact title to its turns. A request
 * names its ticket in the `x-master-ticket` header (the runtime sets it); a
 * request without a known id is matched by a title that occurs in its first
 * user message. The turn answered is the number of assistant messages the
 * request already holds, so a retried request gets the same turn and a run
 * resumed after a question gets the next. Past the last turn the model says
 * the script ended and stops (`end_turn`).
 *
 * `"unscripted": "demo"` answers a verifier's or an executor's request that no
 * entry matches as the demo model does (src/agents/scripted/demoModel.ts):
 * a verdict from the checks and the diff, a question to the operator. Other
 * unmatched requests get the `fallback` turns.
 */
export interface ModelScript {
  tickets: Record<string, ScriptTurn[]>;
  fallback?: ScriptTurn[];
  unscripted?: 'demo';
}

export interface ScriptTurn {
  /** Assistant text, streamed before the tool calls. */
  text?: string;
  /** Tool calls of this turn, in order (`stop_reason: "tool_use"` when there are any). */
  tools?: Array<{ name: string; input: Record<string, unknown> }>;
  /** Answer this turn's first `times` requests (every one when omitted) with an error instead. */
  error?: { kind: ScriptErrorKind; times?: number };
  /** Token counts to report instead of the estimate (about 4 characters a token). */
  usage?: { input?: number; output?: number; cacheRead?: number; cacheWrite?: number };
  /** Milliseconds to wait before answering (the demo paces itself so a person can follow). */
  delayMs?: number;
}

/** 401 key rejected, 429 rate limited, 500 server error, 529 overloaded; `drop` closes the connection before answering, `drop-mid-stream` after the first event. */
export type ScriptErrorKind = 401 | 429 | 500 | 529 | 'drop' | 'drop-mid-stream';

const count = (min: number) => z.optional(z.int().check(z.gte(min)));
const Turn = z.strictObject({
  text: z.optional(z.string()),
  tools: z.optional(z.array(z.strictObject({ name: z.string().check(z.minLength(1)), input: z.record(z.string(), z.unknown()) }))),
  error: z.optional(
    z.strictObject({
      kind: z.union([z.literal(401), z.literal(429), z.literal(500), z.literal(529), z.literal('drop'), z.literal('drop-mid-stream')]),
      times: count(1),
    }),
  ),
  usage: z.optional(z.strictObject({ input: count(0), output: count(0), cacheRead: count(0), cacheWrite: count(0) })),
  delayMs: count(0),
});

export const ModelScriptSchema = z.strictObject({
  tickets: z.record(z.string(), z.array(Turn)),
  fallback: z.optional(z.array(Turn)),
  unscripted: z.optional(z.literal('demo')),
});

/** Reads and validates a script file; a UserError names the file and the field. */
export function loadModelScript(file: string): ModelScript {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(
      code === 'ENOENT' ? `${file}: the scripted demo model's script is missing; fix "models.script" in registry.json` : `${file}: not a readable JSON script (${(error as Error).message})`,
    );
  }
  const parsed = ModelScriptSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserError(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data as ModelScript;
}
