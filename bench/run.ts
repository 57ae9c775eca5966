// `npm run bench [-- ID...]`: runs the benchmarks and writes their figures into
// bench/README.md with the machine and date. Sections not run keep their last figures.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cockpitLaunchBench, cockpitLoadBench } from './cockpit.js';
import { doctorBench } from './doctor.js';
import { gateBench } from './gate.js';
import { machine, type Section } from './lib.js';
import { agentTurnBench, dispatchBench } from './agents.js';
import { guardsBench } from './guards.js';
import { guardsWorstBench } from './guardsWorst.js';
import { mcpBench } from './mcp.js';
import { scoutBench } from './scout.js';
import { sandboxBench } from './sandbox.js';
import { sessionBench } from './session.js';
import { startupBench } from './startup.js';
import { storeBench } from './store.js';
import { store100kBench } from './store100k.js';
import { wikiBench } from './wiki.js';
import { claudeCodeBench } from './claudeCode.js';

const BENCHES: Record<string, () => Promise<Section>> = {
  store: storeBench,
  'store-100k': store100kBench,
  startup: startupBench,
  scout: scoutBench,
  session: sessionBench,
  dispatch: dispatchBench,
  'agent-turn': agentTurnBench,
  guards: guardsBench,
  'guards-worst': guardsWorstBench,
  gate: gateBench,
  doctor: doctorBench,
  sandbox: sandboxBench,
  wiki: wikiBench,
  'cockpit-load': cockpitLoadBench,
  'cockpit-launch': cockpitLaunchBench,
  mcp: mcpBench,
  'claude-code': claudeCodeBench,
};

const DIR = import.meta.dirname;
const RESULTS = path.join(DIR, 'results.json');

interface Stored extends Section {
  machine: string;
  date: string;
}

function render(results: Stored[]): string {
  const lines = [
    '# Benchmarks',
    '',
    'Run with `npm run bench` (or `npm run bench -- store scout` for some). Whole programs are measured as a ratio to a',
    'baseline run in the same session; in-process latencies as median and p99 over many repetitions. The machine is',
    'shared and noisy: compare ratios, not absolute times.',
    '',
  ];
  for (const r of results) {
    const columns = Object.keys(r.rows[0] ?? {});
    lines.push(`## ${r.title}`, '', `Target: ${r.target}. **${r.verdict === 'met' ? 'Met' : r.verdict === 'missed' ? 'Missed' : 'Not applicable'}.**`, '');
    lines.push(`Measured ${r.date} on ${r.machine}.`, '');
    if (columns.length) {
      lines.push(`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`);
      for (const row of r.rows) lines.push(`| ${columns.map((c) => row[c] ?? '').join(' | ')} |`);
      lines.push('');
    }
    if (r.notes) lines.push(r.notes, '');
  }
  return lines.join('\n');
}

const wanted = process.argv.slice(2).filter((a) => a !== '--');
const ids = wanted.length ? wanted : Object.keys(BENCHES);
for (const id of ids) if (!BENCHES[id]) throw new Error(`unknown benchmark "${id}"; known: ${Object.keys(BENCHES).join(', ')}`);

const previous: Stored[] = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Stored[]) : [];
const byId = new Map(previous.map((r) => [r.id, r]));
for (const id of ids) {
  process.stdout.write(`bench ${id}...\n`);
  const section = await BENCHES[id]!();
  byId.set(id, { ...section, machine: machine(), date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC' });
  process.stdout.write(`  ${section.verdict}: ${JSON.stringify(section.rows)}\n`);
}
const ordered = Object.keys(BENCHES).flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
writeFileSync(RESULTS, `${JSON.stringify(ordered, null, 2)}\n`);
writeFileSync(path.join(DIR, 'README.md'), render(ordered));
