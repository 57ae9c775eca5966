import { CHECKS_SECTION, scaffold, type DemoRepoTemplate } from '../project.js';

/** Sandbox's content engine: passes its checks; its README's lesson list is out of date (a script ticket fixes it). */
export const sandboxContent: DemoRepoTemplate = {
  id: 'sandbox-content',
  checks: { test: 'pass', lint: 'pass' },
  commits: [
    {
      message: 'Start the content engine: package, lint and test setup',
      daysAgo: 9,
      files: scaffold(
        'sandbox-content',
        'Content engine of Sandbox: lessons and their URL slugs',
        `# sandbox-content

The content engine of Sandbox: lesson metadata and URL slugs.

${CHECKS_SECTION}
## Lessons

- Getting started
`,
      ),
    },
    {
      message: 'Add slugify for lesson URLs',
      daysAgo: 6,
      files: {
        'src/slug.js': String.raw`/** Turns a title into a URL slug: lower-case ASCII letters and digits joined by single dashes. */
export function slugify(title) {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
`,
        'test/slug.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugify } from '../src/slug.js';

test('slugify makes readable URL slugs', () => {
  assert.equal(slugify('Hello, World!'), 'hello-world');
  assert.equal(slugify('  Crème brûlée 101 '), 'creme-brulee-101');
});
`,
      },
    },
    {
      message: 'Add lessons on loops and functions',
      daysAgo: 2,
      files: {
        'src/lessons.js': String.raw`import { slugify } from './slug.js';

/** The published lessons, in course order. */
export const lessons = [
  { title: 'Getting started', minutes: 10 },
  { title: 'Loops', minutes: 15 },
  { title: 'Functions', minutes: 20 },
].map((lesson) => ({ ...lesson, slug: slugify(lesson.title) }));
`,
        'test/lessons.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lessons } from '../src/lessons.js';

test('every lesson has a unique slug', () => {
  const slugs = lessons.map((lesson) => lesson.slug);
  assert.equal(new Set(slugs).size, slugs.length);
  assert.deepEqual(slugs, ['getting-started', 'loops', 'functions']);
});
`,
      },
    },
  ],
};

/** Sandbox's curriculum: a real bug makes its test fail (an agent ticket fixes it). */
export const sandboxCurriculum: DemoRepoTemplate = {
  id: 'sandbox-curriculum',
  checks: { test: 'fail', lint: 'pass' },
  commits: [
    {
      message: 'Start the curriculum planner',
      daysAgo: 8,
      files: scaffold(
        'sandbox-curriculum',
        'Curriculum planner of Sandbox: weekly outlines and course length',
        `# sandbox-curriculum

Plans Sandbox courses: which lessons go in which week, and how long a course takes.

${CHECKS_SECTION}`,
      ),
    },
    {
      message: 'Add the weekly outline',
      daysAgo: 5,
      files: {
        'src/outline.js': String.raw`/** Splits lessons into weeks of at most perWeek lessons each. */
export function weeks(lessons, perWeek) {
  if (perWeek < 1) throw new RangeError('perWeek must be at least 1');
  const out = [];
  for (let i = 0; i < lessons.length; i += perWeek) out.push(lessons.slice(i, i + perWeek));
  return out;
}
`,
        'test/outline.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { weeks } from '../src/outline.js';

test('weeks groups lessons in order', () => {
  assert.deepEqual(weeks(['a', 'b', 'c'], 2), [['a', 'b'], ['c']]);
  assert.throws(() => weeks(['a'], 0), RangeError);
});
`,
      },
    },
    {
      message: 'Add totalMinutes for the course length',
      daysAgo: 1,
      files: {
        'src/duration.js': String.raw`/** The length of a course in minutes: the sum of its lessons' minutes. */
export function totalMinutes(lessons) {
  let total = 0;
  for (let i = 1; i < lessons.length; i++) total += lessons[i].minutes;
  return total;
}
`,
        'test/duration.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totalMinutes } from '../src/duration.js';

test('totalMinutes counts every lesson', () => {
  assert.equal(totalMinutes([{ minutes: 10 }, { minutes: 20 }, { minutes: 5 }]), 35);
  assert.equal(totalMinutes([]), 0);
});
`,
      },
    },
  ],
};
