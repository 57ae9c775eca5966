import { CHECKS_SECTION, scaffold, type DemoRepoTemplate } from '../project.js';

// Assembled so this repository's own source never contains the debug call itself.
const STRAY_PRINT_LINE = `  ${['console', 'log'].join('.')}('sorted releases', sorted.length);\n`;

/** UMANO's event listings: checks pass; formatEventDate is promised in the README but missing (an agent ticket). */
export const umanoEvents: DemoRepoTemplate = {
  id: 'umano-events',
  checks: { test: 'pass', lint: 'pass' },
  commits: [
    {
      message: 'Start the events listing',
      daysAgo: 10,
      files: scaffold(
        'umano-events',
        'Event listings of UMANO: upcoming nights and their dates',
        `# umano-events

Listings of UMANO's music events. Listings show dates like "Sat 14 Jun",
formatted by formatEventDate in src/format.js (still to be written).

${CHECKS_SECTION}`,
      ),
    },
    {
      message: 'Add upcoming() to list future events',
      daysAgo: 7,
      files: {
        'src/events.js': String.raw`/** Events on or after today (YYYY-MM-DD), soonest first. */
export function upcoming(events, today) {
  return events.filter((event) => event.date >= today).sort((a, b) => a.date.localeCompare(b.date));
}
`,
        'test/events.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { upcoming } from '../src/events.js';
import { summer } from '../src/calendar.js';

test('upcoming keeps future events, soonest first', () => {
  const events = [
    { name: 'b', date: '2025-07-02' },
    { name: 'a', date: '2025-06-14' },
    { name: 'old', date: '2025-01-01' },
  ];
  assert.deepEqual(upcoming(events, '2025-06-01').map((e) => e.name), ['a', 'b']);
});

test('the summer calendar is in order', () => {
  assert.deepEqual(upcoming(summer, '2000-01-01'), summer);
});
`,
        'src/calendar.js': String.raw`/** The summer season, soonest first. */
export const summer = [
  { name: 'Opening night', date: '2025-06-14', venue: 'Warehouse 9' },
  { name: 'Label showcase', date: '2025-07-05', venue: 'The Yard' },
];
`,
      },
    },
    {
      message: 'Add the closing party to the summer calendar',
      daysAgo: 3,
      files: {
        'src/calendar.js': String.raw`/** The summer season, soonest first. */
export const summer = [
  { name: 'Opening night', date: '2025-06-14', venue: 'Warehouse 9' },
  { name: 'Label showcase', date: '2025-07-05', venue: 'The Yard' },
  { name: 'Closing party', date: '2025-08-30', venue: 'Warehouse 9' },
];
`,
      },
    },
  ],
};

/** UMANO's record label: tests pass, lint fails on a leftover debug print (a script ticket removes it). */
export const umanoLabel: DemoRepoTemplate = {
  id: 'umano-label',
  checks: { test: 'pass', lint: 'fail' },
  commits: [
    {
      message: 'Start the label catalog',
      daysAgo: 12,
      files: scaffold(
        'umano-label',
        'Record label catalog of UMANO',
        `# umano-label

The catalog of UMANO's record label: releases by artist, newest first.

${CHECKS_SECTION}`,
      ),
    },
    {
      message: 'Add releasesBy for artist pages',
      daysAgo: 6,
      files: {
        'src/catalog.js': String.raw`export const releases = [
  { id: 'UMN001', artist: 'Nox', title: 'Low Tide', year: 2023 },
  { id: 'UMN002', artist: 'Ivra', title: 'Glasshouse', year: 2024 },
  { id: 'UMN003', artist: 'Nox', title: 'Undertow', year: 2025 },
];

/** An artist's releases, newest first. */
export function releasesBy(artist) {
  const sorted = releases.filter((r) => r.artist === artist).sort((a, b) => b.year - a.year);
  return sorted;
}
`,
        'test/catalog.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { releasesBy } from '../src/catalog.js';

test('releasesBy lists an artist newest first', () => {
  assert.deepEqual(releasesBy('Nox').map((r) => r.id), ['UMN003', 'UMN001']);
  assert.deepEqual(releasesBy('Nobody'), []);
});
`,
      },
    },
    {
      message: 'Debug the catalog sort order',
      daysAgo: 1,
      files: {
        'src/catalog.js': `export const releases = [
  { id: 'UMN001', artist: 'Nox', title: 'Low Tide', year: 2023 },
  { id: 'UMN002', artist: 'Ivra', title: 'Glasshouse', year: 2024 },
  { id: 'UMN003', artist: 'Nox', title: 'Undertow', year: 2025 },
];

/** An artist's releases, newest first. */
export function releasesBy(artist) {
  const sorted = releases.filter((r) => r.artist === artist).sort((a, b) => b.year - a.year);
${STRAY_PRINT_LINE}  return sorted;
}
`,
      },
    },
  ],
};

/** Suite52's artist persona site: checks pass; work waits in triage. */
export const suite52Site: DemoRepoTemplate = {
  id: 'suite52-site',
  checks: { test: 'pass', lint: 'pass' },
  commits: [
    {
      message: 'Start the Suite52 persona site',
      daysAgo: 11,
      files: scaffold(
        'suite52-site',
        'Site of the Suite52 artist persona: bio and tour',
        `# suite52-site

The site of Suite52: the persona's bio and tour dates.

${CHECKS_SECTION}`,
      ),
    },
    {
      message: 'Add the persona bio with shortBio for cards',
      daysAgo: 8,
      files: {
        'src/persona.js': String.raw`export const bio =
  'Suite52 makes slow-burning electronic music from field recordings, late trains and borrowed synthesizers.';

/** The bio cut at a word boundary to at most max characters, with an ellipsis when cut. */
export function shortBio(max) {
  if (bio.length <= max) return bio;
  const cut = bio.slice(0, max - 1);
  return cut.slice(0, cut.lastIndexOf(' ')) + '…';
}
`,
        'test/persona.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bio, shortBio } from '../src/persona.js';

test('shortBio cuts at a word and stays within the limit', () => {
  const short = shortBio(40);
  assert.ok(short.length <= 40);
  assert.ok(short.endsWith('…'));
  assert.equal(shortBio(500), bio);
});
`,
      },
    },
    {
      message: 'Add the autumn tour cities',
      daysAgo: 4,
      files: {
        'src/tour.js': String.raw`export const tour = ['Lisbon', 'Berlin', 'Warsaw'];

/** The tour as one line for a poster. */
export function tourLine() {
  return tour.join(' · ');
}
`,
        'test/tour.test.js': String.raw`import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tourLine } from '../src/tour.js';

test('tourLine joins the cities', () => {
  assert.equal(tourLine(), 'Lisbon · Berlin · Warsaw');
});
`,
      },
    },
  ],
};
