import { CHECKS_SECTION, scaffold, type DemoRepoTemplate } from '../project.js';

/** VioletStudios' production tools: checks pass; the README lacks a usage section (a script ticket adds it). */
export const violetTools: DemoRepoTemplate = {
  id: 'violet-tools',
  checks: { test: 'pass', lint: 'pass' },
  commits: [
    {
      message: 'Start the production toolkit',
      daysAgo: 9,
      files: scaffold(
        'violet-tools',
        'AI production tools of VioletStudios: prompt templates and shot lists',
        `# violet-tools

Small tools for VioletStudios productions: prompt templates and shot lists.

${CHECKS_SECTION}`,
      ),
    },
    {
      message: 'Add renderPrompt for prompt templates',
      daysAgo: 5,
      files: {
        'src/prompt.js': String.raw`/** Fills {{name}} placeholders from vars; an unknown placeholder is an error, not an empty string. */
export function renderPrompt(template, vars) {
  return template.replace(/\{\{(\w+)\}\}/g, (_, name) => {
    if (!(name in vars)) throw new Error('no value for {{' + name + '}}');
    return String(vars[name]);
  });
}
`,
        'test/prompt.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPrompt } from '../src/prompt.js';

test('renderPrompt fills placeholders', () => {
  assert.equal(renderPrompt('Hello {{name}}', { name: 'Violet' }), 'Hello Violet');
  assert.throws(() => renderPrompt('{{missing}}', {}), /no value/);
});
`,
      },
    },
    {
      message: 'Add the shot list numbering',
      daysAgo: 2,
      files: {
        'src/shots.js': String.raw`/** Numbers shots per scene: 1A, 1B, 2A, ... */
export function shotList(scenes) {
  return scenes.flatMap((shots, scene) => shots.map((shot, i) => ({ id: scene + 1 + String.fromCharCode(65 + i), shot })));
}
`,
        'test/shots.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shotList } from '../src/shots.js';

test('shotList numbers shots by scene', () => {
  assert.deepEqual(shotList([['wide', 'close'], ['drone']]).map((s) => s.id), ['1A', '1B', '2A']);
});
`,
      },
    },
  ],
};

/** Blockwise's trading engine (a silo): an off-by-one makes its test fail (an agent ticket fixes it). */
export const blockwiseEngine: DemoRepoTemplate = {
  id: 'blockwise-engine',
  checks: { test: 'fail', lint: 'pass' },
  commits: [
    {
      message: 'Start the signal engine',
      daysAgo: 14,
      files: scaffold(
        'blockwise-engine',
        'Algorithmic trading signals of Blockwise Intelligence',
        `# blockwise-engine

Trading signals of Blockwise Intelligence. This repository is siloed: nothing
in it may leave the Blockwise brand.

${CHECKS_SECTION}`,
      ),
    },
    {
      message: 'Add simple returns',
      daysAgo: 7,
      files: {
        'src/returns.js': String.raw`/** Period-over-period simple returns of a price series. */
export function returns(prices) {
  return prices.slice(1).map((price, i) => price / prices[i] - 1);
}
`,
        'test/returns.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { returns } from '../src/returns.js';

test('returns compares each price with the one before', () => {
  assert.deepEqual(returns([100, 110, 99]), [0.10000000000000009, -0.09999999999999998]);
});
`,
      },
    },
    {
      message: 'Add movingAverage for the trend signal',
      daysAgo: 2,
      files: {
        'src/indicators.js': String.raw`/** Moving averages over windows of the given size, one per complete window, oldest first. */
export function movingAverage(values, window) {
  const out = [];
  for (let i = window; i < values.length; i++) {
    const slice = values.slice(i - window, i);
    out.push(slice.reduce((a, b) => a + b, 0) / window);
  }
  return out;
}
`,
        'test/indicators.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { movingAverage } from '../src/indicators.js';

test('movingAverage has one value per complete window', () => {
  assert.deepEqual(movingAverage([1, 2, 3, 4, 5], 2), [1.5, 2.5, 3.5, 4.5]);
  assert.deepEqual(movingAverage([1, 2], 3), []);
});
`,
      },
    },
  ],
};

/** MaxProduct's incubator: scoreIdea is a stub, so its test fails (an agent ticket implements it). */
export const maxproductLab: DemoRepoTemplate = {
  id: 'maxproduct-lab',
  checks: { test: 'fail', lint: 'pass' },
  commits: [
    {
      message: 'Start the product lab',
      daysAgo: 13,
      files: scaffold(
        'maxproduct-lab',
        'AI product incubator of MaxProduct: an idea backlog and its scoring',
        `# maxproduct-lab

The idea backlog of MaxProduct. Ideas are ranked by score:
impact times confidence divided by effort, rounded to one decimal.

${CHECKS_SECTION}`,
      ),
    },
    {
      message: 'Add the ranked idea backlog',
      daysAgo: 6,
      files: {
        'src/backlog.js': String.raw`/** Ideas sorted by a scoring function, best first; ties keep their order. */
export function rank(ideas, score) {
  return ideas
    .map((idea, index) => ({ idea, index, score: score(idea) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((entry) => entry.idea);
}
`,
        'test/backlog.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rank } from '../src/backlog.js';

test('rank puts the best idea first', () => {
  const ideas = [{ name: 'a', value: 1 }, { name: 'b', value: 3 }, { name: 'c', value: 3 }];
  assert.deepEqual(rank(ideas, (i) => i.value).map((i) => i.name), ['b', 'c', 'a']);
});
`,
      },
    },
    {
      message: 'Sketch scoreIdea and its test',
      daysAgo: 1,
      files: {
        'src/ideas.js': String.raw`/**
 * An idea's score: impact times confidence divided by effort, rounded to one decimal.
 * impact and effort are 1..10, confidence 0..1; effort below 1 is an error.
 */
export function scoreIdea(idea) {
  throw new Error('scoreIdea is not implemented yet');
}
`,
        'test/ideas.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreIdea } from '../src/ideas.js';

test('scoreIdea weighs impact and confidence against effort', () => {
  assert.equal(scoreIdea({ impact: 8, confidence: 0.5, effort: 2 }), 2);
  assert.equal(scoreIdea({ impact: 7, confidence: 0.9, effort: 3 }), 2.1);
  assert.throws(() => scoreIdea({ impact: 5, confidence: 1, effort: 0 }), RangeError);
});
`,
      },
    },
  ],
};

/** Personal career assets: checks pass; the README's skills list misses TypeScript (a script ticket adds it). */
export const personalCareer: DemoRepoTemplate = {
  id: 'personal-career',
  checks: { test: 'pass', lint: 'pass' },
  commits: [
    {
      message: 'Start the career assets',
      daysAgo: 20,
      files: scaffold(
        'personal-career',
        'Career assets: CV data and how long in each field',
        `# personal-career

CV data and the numbers that go on it.

## Skills

- JavaScript
- Product design

${CHECKS_SECTION}`,
      ),
    },
    {
      message: 'Add the CV roles and yearsOfExperience',
      daysAgo: 9,
      files: {
        'src/cv.js': String.raw`export const roles = [
  { title: 'Engineer', from: 2014, to: 2019 },
  { title: 'Founder', from: 2019, to: null },
];

/** Whole years across roles, counting an open role up to the given year. */
export function yearsOfExperience(now) {
  return roles.reduce((sum, role) => sum + ((role.to ?? now) - role.from), 0);
}
`,
        'test/cv.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { yearsOfExperience } from '../src/cv.js';

test('yearsOfExperience counts open roles up to now', () => {
  assert.equal(yearsOfExperience(2025), 11);
});
`,
      },
    },
    {
      message: 'Add the TypeScript projects to the CV',
      daysAgo: 3,
      files: {
        'src/projects.js': String.raw`export const projects = [
  { name: 'Master OS', languages: ['TypeScript'] },
  { name: 'Label catalog', languages: ['JavaScript'] },
];

/** Every language used across projects, sorted. */
export function languages() {
  return [...new Set(projects.flatMap((p) => p.languages))].sort();
}
`,
        'test/projects.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { languages } from '../src/projects.js';

test('languages lists each language once', () => {
  assert.deepEqual(languages(), ['JavaScript', 'TypeScript']);
});
`,
      },
    },
  ],
};
