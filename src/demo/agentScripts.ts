import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelScript, ScriptTurn } from '../agents/scripted/script.js';
import { DEMO_TICKETS } from './tickets.js';
import { demoWikiScript } from './wiki.js';

/** Where the demo workspace keeps the scripted demo model's script (relative to the workspace). */
export const DEMO_MODEL_SCRIPT = '.master/model-script.json';

/** A pause before each answer, so a person watching the cockpit can follow the agents. */
const PACE_MS = 150;
const CHECKS = 'node --test && node scripts/lint.mjs';

function turn(text: string, ...tools: Array<[string, Record<string, unknown>]>): ScriptTurn {
  return { text, tools: tools.map(([name, input]) => ({ name, input })), delayMs: PACE_MS };
}

const read = (file_path: string): [string, Record<string, unknown>] => ['Read', { file_path }];
const edit = (file_path: string, old_string: string, new_string: string): [string, Record<string, unknown>] => ['Edit', { file_path, old_string, new_string }];
const write = (file_path: string, content: string): [string, Record<string, unknown>] => ['Write', { file_path, content }];
const bash = (command: string): [string, Record<string, unknown>] => ['Bash', { command }];
const finish = (summary: string): [string, Record<string, unknown>] => ['Finish', { summary }];

const FORMAT_JS = `const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A listing date like "Sat 14 Jun" from YYYY-MM-DD, read as a calendar day (no time zone shift). */
export function formatEventDate(isoDate) {
  const [year, month, day] = isoDate.split('-').map(Number);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return DAYS[weekday] + ' ' + day + ' ' + MONTHS[month - 1];
}
`;

const FORMAT_TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatEventDate } from '../src/format.js';

test('formatEventDate gives listing dates', () => {
  assert.equal(formatEventDate('2025-06-14'), 'Sat 14 Jun');
  assert.equal(formatEventDate('2025-07-05'), 'Sat 5 Jul');
  assert.equal(formatEventDate('2025-08-30'), 'Sat 30 Aug');
});
`;

/**
 * The scripted demo model's answers for the demo's seeded agent tickets
 * (keyed by their titles in src/demo/tickets.ts): each reads the code, makes
 * the real fix with Edit or Write, runs the repo's checks with Bash and
 * calls Finish, so the branch it leaves passes the merge gate.
 */
export const DEMO_AGENT_SCRIPT: ModelScript = {
  tickets: {
    'Fix the failing totalMinutes test': [
      turn('The test says totalMinutes skips the first lesson. Reading the test and the function.', read('test/duration.test.js'), read('src/duration.js')),
      turn(
        'The loop starts at index 1, so the first lesson is never counted. Starting it at 0.',
        edit('src/duration.js', 'for (let i = 1; i < lessons.length; i++)', 'for (let i = 0; i < lessons.length; i++)'),
      ),
      turn('Running the tests and the linter.', bash(CHECKS)),
      turn('', finish('totalMinutes started its loop at index 1 and skipped the first lesson; it starts at 0 now. Tests and lint pass.')),
    ],
    'Implement scoreIdea': [
      turn('Reading the stub and its test.', read('src/ideas.js'), read('test/ideas.test.js')),
      turn(
        'Implementing the score as documented: impact × confidence / effort, one decimal, RangeError below effort 1.',
        edit(
          'src/ideas.js',
          "export function scoreIdea(idea) {\n  throw new Error('scoreIdea is not implemented yet');\n}",
          "export function scoreIdea(idea) {\n  if (!(idea.effort >= 1)) throw new RangeError('effort must be at least 1, got ' + idea.effort);\n  return Math.round(((idea.impact * idea.confidence) / idea.effort) * 10) / 10;\n}",
        ),
      ),
      turn('Running the tests and the linter.', bash(CHECKS)),
      turn('', finish('scoreIdea returns impact × confidence / effort rounded to one decimal and throws a RangeError for effort below 1. Tests and lint pass.')),
    ],
    'Add formatEventDate for event listings': [
      turn('The README promises formatEventDate in src/format.js. Reading the README and the events module.', read('README.md'), read('src/events.js')),
      turn('Adding src/format.js and a test for the listing format.', write('src/format.js', FORMAT_JS), write('test/format.test.js', FORMAT_TEST)),
      turn('Running the tests and the linter.', bash(CHECKS)),
      turn('', finish('Added formatEventDate (src/format.js), which formats YYYY-MM-DD as "Sat 14 Jun" without time-zone shifts, with a test. Tests and lint pass.')),
    ],
    'Fix the off-by-one in movingAverage': [
      turn('Reading movingAverage and its test.', read('src/indicators.js'), read('test/indicators.test.js')),
      turn('The loop stops before the last complete window. Including it.', edit('src/indicators.js', 'for (let i = window; i < values.length; i++)', 'for (let i = window; i <= values.length; i++)')),
      turn('Running the tests and the linter.', bash(CHECKS)),
      turn('', finish('movingAverage dropped the last complete window; the loop now runs through values.length. Tests and lint pass.')),
    ],
    'Cover shortBio with a word longer than the limit': [
      turn('Reading shortBio and its test.', read('src/persona.js'), read('test/persona.test.js')),
      turn(
        'With no space before the limit, lastIndexOf returns -1 and only the ellipsis is left. Cutting inside the word instead, and pinning it with a test.',
        edit(
          'src/persona.js',
          "  return cut.slice(0, cut.lastIndexOf(' ')) + '…';",
          "  const space = cut.lastIndexOf(' ');\n  // A limit shorter than the first word cuts inside it rather than leaving only the ellipsis.\n  return (space > 0 ? cut.slice(0, space) : cut) + '…';",
        ),
        edit(
          'test/persona.test.js',
          '  assert.equal(shortBio(500), bio);\n});',
          "  assert.equal(shortBio(500), bio);\n});\n\ntest('shortBio cuts inside the first word when the limit is shorter than it', () => {\n  assert.equal(shortBio(5), 'Suit…');\n});",
        ),
      ),
      turn('Running the tests and the linter.', bash(CHECKS)),
      turn('', finish('shortBio now cuts inside the first word when the limit is shorter than it ("Suit…" for 5), instead of returning only "…"; a test pins it. Tests and lint pass.')),
    ],
  },
  // A ticket the operator adds has no script: the demo model judges its candidates from the checks and the
  // diff, and asks the operator for a command to run instead of silently doing nothing.
  unscripted: 'demo',
  fallback: [{ text: 'The scripted demo model has no script for this ticket; a real model (ANTHROPIC_API_KEY) can work on it.' }],
};

/**
 * The verifier's side of the demo: for every seeded ticket, a verdict read
 * against its acceptance criteria (the gate's checks have run by then and
 * are in the verifier's prompt), keyed `Verify: <title>` as the gate asks.
 */
for (const ticket of DEMO_TICKETS) {
  DEMO_AGENT_SCRIPT.tickets[`Verify: ${ticket.title}`] = [
    turn('Reading the diff and the check results against the acceptance criteria.', ['Verdict', { verdict: 'pass', reasons: ticket.acceptance.map((criterion) => `met: ${criterion}`) }]),
  ];
}

/** Writes the demo model's script into the workspace unless one is there; true when written. */
export function writeDemoModelScript(home: string, day = new Date().toISOString().slice(0, 10)): boolean {
  const file = path.join(home, DEMO_MODEL_SCRIPT);
  if (existsSync(file)) return upgradeDemoModelScript(file);
  mkdirSync(path.dirname(file), { recursive: true });
  // The distillers' and librarians' turns for the demo wiki (the librarians date what they write by the setup day).
  const script: ModelScript = { ...DEMO_AGENT_SCRIPT, tickets: { ...DEMO_AGENT_SCRIPT.tickets, ...demoWikiScript(day) } };
  writeFileSync(file, `${JSON.stringify(script, null, 2)}\n`);
  return true;
}

/**
 * A demo workspace made before the demo model handled unscripted tickets keeps
 * its script (the operator may have edited it) but gains `"unscripted": "demo"`,
 * so `master demo` on it makes the operator's own tickets work; true when changed.
 */
function upgradeDemoModelScript(file: string): boolean {
  let script: Record<string, unknown>;
  try {
    script = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return false; // Not ours to repair: loading it says what is wrong.
  }
  const demoFallback = JSON.stringify(DEMO_AGENT_SCRIPT.fallback);
  if (script.unscripted !== undefined || JSON.stringify(script.fallback) !== demoFallback) return false;
  writeFileSync(file, `${JSON.stringify({ ...script, unscripted: 'demo' }, null, 2)}\n`);
  return true;
}
