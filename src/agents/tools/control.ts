import * as z from 'zod/mini';
import { describeOutcome, spawnBash } from './spawnBash.js';
import { failed, ok, type ToolDefinition } from './types.js';

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_TIMEOUT_MS = 600_000;

const BashInput = z.object({
  command: z.string().check(z.minLength(1)),
  timeout: z.optional(z.int().check(z.gte(1), z.lte(MAX_TIMEOUT_MS))),
  description: z.optional(z.string()),
});

export const bashTool: ToolDefinition<z.infer<typeof BashInput>> = {
  name: 'Bash',
  description: 'Runs a shell command with bash in the worktree. `timeout` in milliseconds (default 120000, at most 600000). Output is capped; a non-zero exit, a timeout or a kill is an error.',
  input: BashInput,
  paths: () => [],
  async run(input, context) {
    const timeout = input.timeout ?? DEFAULT_TIMEOUT_MS;
    const outcome = await spawnBash(context, input.command, timeout);
    const how = describeOutcome(outcome, timeout);
    const body = outcome.output.trimEnd();
    if (outcome.exitCode === 0 && !outcome.timedOut && !outcome.killed) return ok(body || '(no output)');
    return failed(`${body}${body ? '\n' : ''}(command ${how})`);
  },
};

// Up to nine choices: the cockpit numbers them and the operator answers with one digit.
const AskInput = z.object({
  question: z.string().check(z.trim(), z.minLength(1)),
  choices: z.optional(z.array(z.string().check(z.trim(), z.minLength(1))).check(z.minLength(2), z.maxLength(9))),
});

export const askOperatorTool: ToolDefinition<z.infer<typeof AskInput>> = {
  name: 'AskOperator',
  description:
    "Asks the operator a question only they can decide. The ticket waits (blocked) until they answer; the answer comes back as this tool's result in a later run. Ask one clear, self-contained question; when the answer is one of a few options, list them in `choices` (2 to 9).",
  input: AskInput,
  paths: () => [],
  async run(input, context) {
    if (context.control.asked) return failed('one question per turn; this one waits for the operator too');
    context.control.asked = { question: input.question, toolUseId: context.toolUseId, ...(input.choices ? { choices: input.choices } : {}) };
    return ok('question stored; the run pauses until the operator answers');
  },
};

const FinishInput = z.object({ summary: z.string().check(z.trim(), z.minLength(1)) });

export const finishTool: ToolDefinition<z.infer<typeof FinishInput>> = {
  name: 'Finish',
  description: 'Ends the run: call it once the work is done (or cannot be done) with a summary of what you did and why.',
  input: FinishInput,
  paths: () => [],
  async run(input, context) {
    context.control.finished = { summary: input.summary };
    return ok('finished');
  },
};
