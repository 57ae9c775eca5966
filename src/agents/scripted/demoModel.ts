import type { ScriptTurn } from './script.js';

/**
 * What the scripted demo model does for a request its script has no entry
 * for (`"unscripted": "demo"` in the script), so a ticket the operator adds
 * in the demo still shows the product working instead of stalling:
 *
 * - a verifier request is judged from what the gate put in its prompt: pass
 *   when every check passed and the diff changes something sensible, fail
 *   with the reason otherwise (the demo model cannot read code, and says so);
 * - an executor request says plainly that this is the demo model and asks the
 *   operator for a shell command that makes the change; the answer is run in
 *   the ticket's worktree (through the guards, like any tool call) and the
 *   run finishes, so the merge gate judges the result.
 *
 * It decides from the request alone (the conversation so far), so a retried
 * request gets the same answer and a run resumed after the question goes on.
 */

interface Message {
  role?: string;
  content?: unknown;
}

interface ContentBlock {
  type?: string;
  text?: string;
  name?: string;
  id?: string;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

const DEMO = 'the scripted demo model';
/** Answers that leave the ticket to a real model rather than give a command. */
const DECLINE = /^\s*(skip|no|none|cancel|leave it|-)?\s*\.?\s*$/i;
/** The answer the executor passes on when the operator unblocked without answering. */
const NO_ANSWER = /^\(the operator unblocked the ticket without an answer/;

function blocks(content: unknown): ContentBlock[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as ContentBlock[]) : [];
}

function textOf(content: unknown): string {
  return blocks(content)
    .map((b) => (b.type === 'text' ? (b.text ?? '') : ''))
    .join('\n');
}

function messagesOf(body: Record<string, unknown>): Message[] {
  return Array.isArray(body.messages) ? (body.messages as Message[]) : [];
}

function toolNames(body: Record<string, unknown>): Set<string> {
  const tools = Array.isArray(body.tools) ? (body.tools as Array<{ name?: unknown }>) : [];
  return new Set(tools.map((t) => String(t.name)));
}

/** The demo model's turn for an unscripted request, or null when it is neither a verifier's nor an executor's. */
export function demoModelTurn(body: Record<string, unknown>): ScriptTurn | null {
  const tools = toolNames(body);
  const messages = messagesOf(body);
  const first = textOf(messages.find((m) => m.role === 'user')?.content);
  if (tools.has('Verdict') && first.startsWith('Verify: ')) return verifierTurn(first);
  if (tools.has('AskOperator') && tools.has('Finish') && /^Ticket \S+: /.test(first)) return executorTurn(first, messages);
  return null;
}

// ---- the verifier ---------------------------------------------------------

interface CheckLine {
  name: string;
  passed: boolean;
  result: string;
  lastLine: string;
}

/** The check results the gate listed (`- name (`command`): passed in N ms` and the indented output). */
export function parseChecks(section: string): CheckLine[] {
  const checks: CheckLine[] = [];
  for (const line of section.split('\n')) {
    const head = /^- (.+?) \(`.*`\): (passed|timed out|exit \S+) in \d+ ms$/.exec(line);
    if (head) {
      checks.push({ name: head[1]!, passed: head[2] === 'passed', result: head[2]!, lastLine: '' });
    } else if (checks.length > 0 && line.trim()) {
      checks.at(-1)!.lastLine = line.trim();
    }
  }
  return checks;
}

interface DiffFile {
  path: string;
  added: number;
  removed: number;
  conflictMarkers: boolean;
}

/** The files a unified diff changes, with their added and removed line counts. */
export function parseDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  for (const line of diff.split('\n')) {
    const header = /^diff --git a\/(.+?) b\/(.+)$/.exec(line);
    if (header) {
      files.push({ path: header[2]!, added: 0, removed: 0, conflictMarkers: false });
      continue;
    }
    const file = files.at(-1);
    if (!file || line.startsWith('+++ ') || line.startsWith('--- ')) continue;
    if (line.startsWith('+')) {
      file.added++;
      if (/^\+(<{7}|>{7}|={7})( |$)/.test(line)) file.conflictMarkers = true;
    } else if (line.startsWith('-')) {
      file.removed++;
    }
  }
  return files;
}

/** Paths a change to a repository's source has no business touching. */
const OUT_OF_PLACE = /(^|\/)(node_modules|\.git|\.master)\//;

function between(text: string, start: string, end: string): string {
  const from = text.indexOf(start);
  if (from < 0) return '';
  const to = text.lastIndexOf(end);
  return text.slice(from + start.length, to > from ? to : undefined);
}

function verifierTurn(prompt: string): ScriptTurn {
  const checkSection = between(prompt, '\nCheck results:\n', '\n\nThe diff against main:\n');
  const diff = between(prompt, '\n\nThe diff against main:\n\n', '\n\nRead what you need, then call Verdict once.');
  const checks = parseChecks(checkSection);
  const files = parseDiff(diff);
  const failing: string[] = [];
  for (const check of checks.filter((c) => !c.passed)) {
    failing.push(`the check ${check.name} did not pass (${check.result})${check.lastLine ? `: ${check.lastLine}` : ''}`);
  }
  if (checks.length === 0) {
    failing.push(`no checks ran on the candidate, and ${DEMO} cannot judge code by reading it: add checks for this repo in registry.json, or use a real model`);
  }
  if (files.length === 0) failing.push('the diff against main is empty: the candidate changes nothing');
  for (const file of files) {
    if (file.conflictMarkers) failing.push(`${file.path} has merge-conflict markers in the lines it adds`);
    if (OUT_OF_PLACE.test(file.path)) failing.push(`${file.path} does not belong in the repository's history`);
  }
  const changed = files.map((f) => `${f.path} (+${f.added} −${f.removed})`).join(', ');
  if (failing.length > 0) {
    return {
      text: `I am ${DEMO}: I judge from the gate's check results and the diff, not by reading the code. This candidate does not pass.`,
      tools: [{ name: 'Verdict', input: { verdict: 'fail', reasons: failing } }],
    };
  }
  return {
    text: `I am ${DEMO}: I judge from the gate's check results and the diff, not by reading the code. The checks pass and the diff changes ${changed}.`,
    tools: [
      {
        name: 'Verdict',
        input: {
          verdict: 'pass',
          reasons: [
            `every check passed: ${checks.map((c) => c.name).join(', ')}`,
            `the diff changes ${files.length} file${files.length === 1 ? '' : 's'}: ${changed}`,
            `judged by ${DEMO} from the checks and the diff; a real model reads the change against the acceptance criteria`,
          ],
        },
      },
    ],
  };
}

// ---- the executor ---------------------------------------------------------

/** The tool call an assistant message made (the demo model makes one a turn), with its result from the next message. */
function lastCall(messages: Message[]): { name: string; input: Record<string, unknown>; result: string; isError: boolean } | null {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== 'assistant') continue;
    const use = blocks(message.content).find((b) => b.type === 'tool_use');
    if (!use) return null;
    const answer = blocks(messages[i + 1]?.content).find((b) => b.type === 'tool_result' && b.tool_use_id === use.id);
    return {
      name: use.name ?? '',
      input: ((use as { input?: Record<string, unknown> }).input ?? {}) as Record<string, unknown>,
      result: answer ? textOf(answer.content) : '',
      isError: answer?.is_error === true,
    };
  }
  return null;
}

/** An answer to the demo model's question that a fresh run carries in its first message. */
function carriedAnswer(prompt: string): string | null {
  const lines = prompt.split('\n');
  let answer: string | null = null;
  for (let i = 0; i < lines.length - 1; i++) {
    if (lines[i]!.includes(`asked: I am ${DEMO}`)) {
      const next = /^\s+The operator answered: (.*)$/.exec(lines[i + 1]!);
      if (next) answer = next[1]!;
    }
  }
  return answer;
}

function clip(text: string, length = 300): string {
  const flat = text.trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}

function executorTurn(prompt: string, messages: Message[]): ScriptTurn {
  const ticket = /^Ticket (\S+): (.*)$/m.exec(prompt);
  const id = ticket?.[1] ?? 'this ticket';
  const title = ticket?.[2] ?? '';
  const previous = lastCall(messages);
  if (previous?.name === 'Bash') {
    const command = String(previous.input.command ?? '');
    const summary = previous.isError
      ? `${DEMO} ran the operator's command \`${clip(command, 200)}\` and it failed: ${clip(previous.result)}`
      : `${DEMO} ran the operator's command \`${clip(command, 200)}\`; the merge gate checks what it changed`;
    return { tools: [{ name: 'Finish', input: { summary } }] };
  }
  const answer = previous?.name === 'AskOperator' ? previous.result.replace(/^The operator answered: /, '') : carriedAnswer(prompt);
  if (answer !== null) {
    if (DECLINE.test(answer) || NO_ANSWER.test(answer)) {
      return {
        text: `The operator gave no command, and ${DEMO} cannot write this change itself.`,
        tools: [
          {
            name: 'Finish',
            input: {
              summary: `${DEMO} made no change: it has no script for ${id} and the operator gave no command to run; a real model (models.provider "anthropic" with ANTHROPIC_API_KEY in registry.json) can work on it`,
            },
          },
        ],
      };
    }
    return {
      text: `Running the operator's command in the ticket's worktree.`,
      tools: [{ name: 'Bash', input: { command: answer.trim() } }],
    };
  }
  return {
    text: `I am ${DEMO}: I replay scripts written for the demo's seeded tickets, and I have none for ${id}${title ? ` "${title}"` : ''}, so I cannot write this change myself. Asking the operator.`,
    tools: [
      {
        name: 'AskOperator',
        input: {
          question:
            `I am ${DEMO} and have no script for ${id}${title ? ` "${title}"` : ''}, so I cannot write this change. ` +
            'Answer with a shell command that makes it (I run it in the ticket\'s worktree, then the merge gate checks it), or "skip" to leave the ticket to a real model.',
        },
      },
    ],
  };
}
