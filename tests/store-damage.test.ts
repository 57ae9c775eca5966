import { appendFileSync, existsSync, readFileSync, readdirSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/doctor/index.js';
import { openWorkspace } from '../src/workspace/open.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { master } from './helpers/cli.js';
import { makeWorkspaceWithFolders } from './helpers/workspace.js';

function workspace(): string {
  return makeWorkspaceWithFolders({ brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }] });
}

function logFile(home: string): string {
  const dir = workspacePaths(home).events;
  return path.join(dir, readdirSync(dir).sort().at(-1)!);
}

function add(home: string, title: string): string {
  const r = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', title, '--json', '--home', home]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).id as string;
}

function listIds(home: string, all = false): string[] {
  const r = master(['ticket', 'list', '--json', ...(all ? ['--all'] : []), '--home', home]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).map((t: { id: string }) => t.id);
}

async function doctorLog(home: string) {
  const report = await runDoctor({ paths: workspacePaths(home) });
  return report.checks.find((c) => c.id === 'state.log')!;
}

/** Three tickets, then a damaged line, then two more: the line sits between sequence 3 and 4. */
function damagedWorkspace(line: string): string {
  const home = workspace();
  add(home, 'one');
  add(home, 'two');
  add(home, 'three');
  appendFileSync(logFile(home), `${line}\n`);
  return home;
}

const BAD_LINES: Array<[string, string]> = [
  ['null', 'null'],
  ['{}', '{}'],
  ['a number', '42'],
  ['an array', '[1,2]'],
  ['garbage', '\u0000\u0000garbage{{'],
  ['a torn line ended by a newline', '{"seq":4,"at":"2026-01-01T00:00:00.000Z","type":"ticket.crea'],
  ['an event with a lost payload', '{"seq":4,"at":"2026-01-01T00:00:00.000Z","type":"ticket.created"}'],
  ['a duplicate seq', '{"seq":2,"at":"2026-01-01T00:00:00.000Z","type":"note"}'],
];

describe('a damaged event-log line', () => {
  it.each(BAD_LINES)('%s is detected, quarantined with its place, never applied, and crashes nothing', async (_name, line) => {
    const home = damagedWorkspace(line);
    // Later writes go on; nothing after the damage is dropped and no id is reused.
    const four = add(home, 'four');
    const five = add(home, 'five');
    expect([four, five]).toEqual(['T-4', 'T-5']);
    expect(listIds(home)).toEqual(['T-1', 'T-2', 'T-3', 'T-4', 'T-5']);

    const check = await doctorLog(home);
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/line 4/);
    expect(check.fix).toMatch(/master repair/);

    const quarantine = workspacePaths(home).quarantine;
    const copies = readdirSync(quarantine);
    expect(copies).toHaveLength(1);
    const report = JSON.parse(readFileSync(path.join(quarantine, copies[0]!), 'utf8'));
    expect(report.line).toBe(4);
    expect(report.reason.length).toBeGreaterThan(5);

    const repair = master(['repair', '--home', home]);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/skipped 1 thing/);
    expect(repair.stdout).toMatch(/line 4: /);
    expect(repair.stdout).not.toMatch(/internal error/);
    expect(listIds(home)).toEqual(['T-1', 'T-2', 'T-3', 'T-4', 'T-5']);
    // Accounted for: the doctor passes the log again, and says what was accounted.
    const after = await doctorLog(home);
    expect(after.status, after.message).toBe('pass');
    expect(after.message).toMatch(/accounted for/);
    // A second repair has nothing new to record.
    const again = master(['repair', '--home', home]);
    expect(again.stdout).not.toMatch(/recorded/);
  });

  it('doctor --fix quarantines and records damaged lines, but never accepts a lost write on its own', async () => {
    const home = damagedWorkspace('null');
    add(home, 'four');
    const fixed = master(['doctor', '--fix', '--json', '--home', home]);
    const report = JSON.parse(fixed.stdout);
    expect(report.fixed.join('\n')).toMatch(/quarantined and recorded 1 damaged event-log line/);
    expect(report.checks.find((c: { id: string }) => c.id === 'state.log').status).toBe('pass');

    const file = logFile(home);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(1, 1); // sequence 2 lost without a trace
    writeFileSync(file, lines.join('\n'));
    const again = JSON.parse(master(['doctor', '--fix', '--json', '--home', home]).stdout);
    const log = again.checks.find((c: { id: string }) => c.id === 'state.log');
    expect(log.status).toBe('fail');
    expect(log.message).toMatch(/acknowledged write lost: sequence 2/);
  });

  it('a far-off seq followed by valid events is out of place; the valid events after it are kept by repair', async () => {
    const home = workspace();
    add(home, 'one');
    const file = logFile(home);
    // The bogus line lands in the middle (an edit or disk damage); valid writes follow it.
    add(home, 'two');
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(1, 0, '{"seq":99999,"at":"2026-01-01T00:00:00.000Z","type":"note"}');
    writeFileSync(file, lines.join('\n'));
    writeFileSync(workspacePaths(home).state, '{}');
    const repair = master(['repair', '--home', home]);
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/sequence 99999 out of place/);
    expect(listIds(home)).toEqual(['T-1', 'T-2']);
    expect(add(home, 'three')).toBe('T-3');
    expect((await doctorLog(home)).status).toBe('pass');
  });

  it('tells a lost acknowledged write from a damaged line', async () => {
    const home = workspace();
    for (const t of ['one', 'two', 'three']) add(home, t);
    const file = logFile(home);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.splice(1, 1); // sequence 2 is gone without a trace
    writeFileSync(file, lines.join('\n'));
    const check = await doctorLog(home);
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/acknowledged write lost: sequence 2 is missing/);
    expect(check.fix).toMatch(/backup/);

    const repair = master(['repair', '--home', home]);
    expect(repair.stdout).toMatch(/sequence 2 missing before 3 with no damaged line/);
    expect((await doctorLog(home)).status).toBe('pass');
    // T-2's id stays taken (the old snapshot knew it).
    expect(add(home, 'four')).toBe('T-4');
  });

  it('the doctor says a damaged line is damage, not a lost write', async () => {
    const home = workspace();
    for (const t of ['one', 'two', 'three']) add(home, t);
    const file = logFile(home);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1]!.slice(0, 30); // sequence 2 torn in the middle of the file
    writeFileSync(file, lines.join('\n'));
    const check = await doctorLog(home);
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/sequence 2 is a damaged line \(.*line 2: an unreadable line/);
    expect(check.message).not.toMatch(/lost/);
  });
});

describe('a snapshot ahead of the log', () => {
  it('never hides a later write, never reuses an id or a seq, and repair never moves an approved ticket back', async () => {
    const home = workspace();
    add(home, 'one');
    const two = add(home, 'two');
    expect(master(['ticket', 'move', two, 'approve', '--home', home]).code).toBe(0);
    expect(master(['repair', '--home', home]).code).toBe(0);
    // The last line (the approval the snapshot already includes) is torn afterwards.
    const file = logFile(home);
    truncateSync(file, statSync(file).size - 20);

    const three = add(home, 'three');
    expect(listIds(home)).toContain(three);
    const four = add(home, 'four');
    expect(new Set([two, three, four]).size).toBe(3);
    expect(listIds(home)).toEqual(expect.arrayContaining([three, four]));
    const seqs = readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((l) => {
        try {
          return [JSON.parse(l).seq as number];
        } catch {
          return [];
        }
      });
    expect(new Set(seqs).size).toBe(seqs.length);

    expect(master(['ticket', 'move', two, 'approve', '--home', home]).code).toBe(0);
    expect(master(['repair', '--home', home]).code).toBe(0);
    const shown = JSON.parse(master(['ticket', 'show', two, '--json', '--home', home]).stdout);
    expect(shown.state).toBe('ready');
    expect(listIds(home)).toEqual(['T-1', 'T-2', three, four]);
  });

  it('ids stay taken even when the log lost the tickets the snapshot had', async () => {
    const home = workspace();
    for (const t of ['one', 'two', 'three']) add(home, t);
    const ws = await openWorkspace(home);
    await ws.store.writeSnapshot();
    await ws.store.close();
    const file = logFile(home);
    const lines = readFileSync(file, 'utf8').split('\n');
    writeFileSync(file, lines.slice(0, 1).join('\n') + '\n');
    const r = master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'next', '--json', '--home', home]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).id).toBe('T-4');
    expect(r.stderr).toMatch(/in the old snapshot only, not in the log: T-2, T-3/);
    expect(existsSync(workspacePaths(home).state)).toBe(true);
  });
});
