import type { Priority, TicketKind } from '../state/types.js';

/** A ticket the demo seeds; titles are stable keys (scripted model answers are keyed by them). */
export interface DemoTicket {
  brand: string;
  repo: string;
  title: string;
  body: string;
  acceptance: string[];
  kind: Extract<TicketKind, 'agent' | 'script'>;
  /** Shell commands of a script ticket, run in the ticket's worktree (POSIX sh, no network). */
  run?: string[];
  priority: Priority;
  state: 'triage' | 'ready';
}

/** The work waiting in the demo repos: what each repo's history left undone. */
export const DEMO_TICKETS: readonly DemoTicket[] = [
  {
    brand: 'sandbox',
    repo: 'sandbox-content',
    title: 'List every lesson in the README',
    body: 'The README lists only the first lesson; src/lessons.js has three. Regenerate the "## Lessons" section from src/lessons.js.',
    acceptance: ['README.md lists Getting started, Loops and Functions', 'npm test and npm run lint pass'],
    kind: 'script',
    run: [
      "node --input-type=module -e \"import { readFileSync, writeFileSync } from 'node:fs'; import { lessons } from './src/lessons.js'; const head = readFileSync('README.md', 'utf8').split('## Lessons')[0]; writeFileSync('README.md', head + '## Lessons\\n\\n' + lessons.map((l) => '- ' + l.title).join('\\n') + '\\n');\"",
    ],
    priority: 'p2',
    state: 'ready',
  },
  {
    brand: 'umano',
    repo: 'umano-label',
    title: 'Remove the leftover debug print from the catalog',
    body: 'A debug print was committed in src/catalog.js while checking the sort order; the linter fails on it.',
    acceptance: ['src/catalog.js has no debug print', 'npm run lint passes'],
    kind: 'script',
    run: [
      "node --input-type=module -e \"import { readFileSync, writeFileSync } from 'node:fs'; const file = 'src/catalog.js'; writeFileSync(file, readFileSync(file, 'utf8').split('\\n').filter((line) => line.includes('console.') === false).join('\\n'));\"",
    ],
    priority: 'p1',
    state: 'ready',
  },
  {
    brand: 'personal',
    repo: 'personal-career',
    title: 'Add TypeScript to the README skills',
    body: 'The CV now has TypeScript projects (src/projects.js), but the README skills list does not mention TypeScript.',
    acceptance: ['README.md lists TypeScript under Skills, once', 'npm run lint passes'],
    kind: 'script',
    run: [
      "node --input-type=module -e \"import { readFileSync, writeFileSync } from 'node:fs'; const text = readFileSync('README.md', 'utf8'); writeFileSync('README.md', text.includes('- TypeScript') ? text : text.replace('- JavaScript\\n', '- JavaScript\\n- TypeScript\\n'));\"",
    ],
    priority: 'p3',
    state: 'ready',
  },
  {
    brand: 'violetstudios',
    repo: 'violet-tools',
    title: 'Add a usage section to the README',
    body: 'Show how to call renderPrompt, so people stop asking how templates work.',
    acceptance: ['README.md has a "## Usage" section with a renderPrompt example', 'npm run lint passes'],
    kind: 'script',
    run: [`printf '%s\\n' '' '## Usage' '' '    import { renderPrompt } from "./src/prompt.js";' '    renderPrompt("Hello {{name}}", { name: "Violet" }); // "Hello Violet"' >> README.md`],
    priority: 'p3',
    state: 'triage',
  },
  {
    brand: 'sandbox',
    repo: 'sandbox-curriculum',
    title: 'Fix the failing totalMinutes test',
    body: 'test/duration.test.js fails: totalMinutes skips the first lesson, so course lengths come out short.',
    acceptance: ['totalMinutes sums every lesson, including the first', 'npm test and npm run lint pass'],
    kind: 'agent',
    priority: 'p1',
    state: 'ready',
  },
  {
    brand: 'maxproduct',
    repo: 'maxproduct-lab',
    title: 'Implement scoreIdea',
    body: 'src/ideas.js has a stub that throws. Implement the score the README describes: impact times confidence divided by effort, rounded to one decimal; effort below 1 throws a RangeError.',
    acceptance: ['test/ideas.test.js passes', 'npm run lint passes'],
    kind: 'agent',
    priority: 'p2',
    state: 'ready',
  },
  {
    brand: 'umano',
    repo: 'umano-events',
    title: 'Add formatEventDate for event listings',
    body: 'The README promises dates like "Sat 14 Jun" from formatEventDate in src/format.js; the function does not exist yet. Add it, with a test.',
    acceptance: ['formatEventDate("2025-06-14") returns "Sat 14 Jun"', 'a test covers it', 'npm test and npm run lint pass'],
    kind: 'agent',
    priority: 'p2',
    state: 'triage',
  },
  {
    brand: 'blockwise',
    repo: 'blockwise-engine',
    title: 'Fix the off-by-one in movingAverage',
    body: 'movingAverage drops the last window and averages the wrong values, so test/indicators.test.js fails and the trend signal lags by one period.',
    acceptance: ['movingAverage([1, 2, 3, 4, 5], 2) is [1.5, 2.5, 3.5, 4.5]', 'npm test passes'],
    kind: 'agent',
    priority: 'p1',
    state: 'triage',
  },
  {
    brand: 'suite52',
    repo: 'suite52-site',
    title: 'Cover shortBio with a word longer than the limit',
    body: 'shortBio cuts at the last space; with a limit shorter than the first word it returns only an ellipsis. Decide the behaviour and pin it with a test.',
    acceptance: ['a test covers a limit shorter than the first word', 'npm test passes'],
    kind: 'agent',
    priority: 'p3',
    state: 'triage',
  },
];
