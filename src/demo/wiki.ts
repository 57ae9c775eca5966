import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelScript, ScriptTurn } from '../agents/scripted/script.js';
import { proposedPageText } from '../wiki/distill/pageText.js';

/** The demo wiki's first pages: a few brand pages, global ones, a silo's own, and inbox notes for the first distillation. */
export const DEMO_WIKI: Record<string, string> = {
  'global/conventions': page(
    'Conventions',
    'global',
    ['Every repository keeps `node --test` and `node scripts/lint.mjs` green; the merge gate runs both.', '', 'Changelogs name the ticket (`T-12: ...`). Siloed brands follow [[global/silo-policy]].'],
    'tags: [process]\n',
  ),
  'global/silo-policy': page('Silo policy', 'global', ['A siloed brand (Blockwise) shares nothing with the others: no code, no pages, no tickets. See [[global/conventions]].'], 'tags: [security]\n'),
  'umano/release-process': page(
    'Release process',
    'umano',
    [
      'Label releases go out on Fridays at 00:00 CET so they count for the whole chart week.',
      '',
      'The event listings use the dates the promoters send, as calendar days. House rules: [[global/conventions]].',
    ],
    'tags: [release, label]\nsources: [umano-label]\n',
  ),
  'sandbox/curriculum-style': page(
    'Curriculum style',
    'sandbox',
    ['Lessons are short (under 30 minutes) and every lesson lists its duration in minutes. See [[global/conventions]].'],
    'tags: [content]\n',
  ),
  'blockwise/risk-limits': page(
    'Risk limits',
    'blockwise',
    ['Never more than 2% of the book per position; the moving average window is 20 sessions. See [[global/silo-policy]].'],
    'tags: [trading]\n',
  ),
  'inbox/umano-release-week': page('Release week notes', 'umano', [
    'The label needs ISRC codes before a release is uploaded; two uploads bounced this week without them.',
    'The venue API timed out twice on Friday afternoons; syncing in the morning worked.',
    'Maybe Thursday releases sell better? One data point.',
  ]),
  'inbox/sandbox-durations': page('Durations', 'sandbox', ['totalMinutes skipped the first lesson (T-5); lesson durations are always counted from the first lesson.']),
};

function page(title: string, brand: string, lines: string[], extra = ''): string {
  return `---\ntitle: ${title}\nbrand: ${brand}\nupdated: 2026-05-07\n${extra}---\n\n${lines.join('\n')}\n`;
}

/** Writes the demo's wiki pages that are missing (a page the operator changed is left as it is). */
export function writeDemoWiki(wikiRoot: string): string[] {
  const written: string[] = [];
  for (const [name, text] of Object.entries(DEMO_WIKI)) {
    const file = path.join(wikiRoot, `${name}.md`);
    if (existsSync(file)) continue;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
    written.push(name);
  }
  return written;
}

type Finding = { confidence: 'high' | 'medium' | 'low'; target: string; change: 'create' | 'update' | 'append'; title?: string; content: string; sources: string[] };

const UMANO: Finding[] = [
  {
    confidence: 'high',
    target: 'umano/release-process',
    change: 'append',
    content: '## Before upload\n\nCollect the ISRC codes first: the label bounces an upload without them.',
    sources: ['inbox/umano-release-week'],
  },
  {
    confidence: 'medium',
    target: 'umano/venue-api',
    change: 'create',
    title: 'Venue API',
    content: 'The venue API times out on Friday afternoons; sync the listings in the morning. Dates: [[umano/release-process]].',
    sources: ['inbox/umano-release-week'],
  },
  { confidence: 'low', target: 'umano/release-days', change: 'create', content: 'Thursday releases may sell better (one data point).', sources: ['inbox/umano-release-week'] },
];
const SANDBOX: Finding[] = [
  {
    confidence: 'high',
    target: 'sandbox/lesson-durations',
    change: 'create',
    title: 'Lesson durations',
    content: 'Durations are minutes and totals count every lesson from the first one (see [[sandbox/curriculum-style]]).',
    sources: ['inbox/sandbox-durations', 'T-5'],
  },
];

const PACE_MS = 150;

function librarianTurns(finding: Finding, day: string): ScriptTurn[] {
  const existing = DEMO_WIKI[finding.target] ?? null;
  return [
    {
      text: `Applying the ${finding.confidence} finding to ${finding.target}.`,
      tools: [{ name: 'Write', input: { file_path: `wiki/${finding.target}.md`, content: proposedPageText(finding, existing, day, 'librarian') } }],
      delayMs: PACE_MS,
    },
    { tools: [{ name: 'Finish', input: { summary: `${finding.change} ${finding.target}` } }], delayMs: PACE_MS },
  ];
}

/**
 * The scripted model's distiller and librarian turns for the demo wiki:
 * umano's distiller proposes one finding of each confidence (the medium one
 * waits for the operator), sandbox's one high finding; the librarians write
 * what is promoted.
 */
export function demoWikiScript(day: string): ModelScript['tickets'] {
  const distiller = (findings: Finding[], summary: string): ScriptTurn[] => [
    { text: 'Classifying the notes against the pages that exist.', tools: [{ name: 'WikiSearch', input: { query: findings[0]!.target.split('/')[1]!.replace(/-/g, ' ') } }], delayMs: PACE_MS },
    { tools: findings.map((input) => ({ name: 'ProposeFinding', input })), delayMs: PACE_MS },
    { tools: [{ name: 'Finish', input: { summary } }], delayMs: PACE_MS },
  ];
  const out: ModelScript['tickets'] = {
    'distill:umano': distiller(UMANO, 'one finding of each confidence from the release week notes'),
    'distill:sandbox': distiller(SANDBOX, 'the lesson duration rule, verified by T-5'),
  };
  for (const finding of [...UMANO, ...SANDBOX]) if (finding.confidence !== 'low') out[`wiki:${finding.target}`] = librarianTurns(finding, day);
  return out;
}
