// The lean read path: commands read the snapshot's index and only the tickets they look at. These tests
// fail if that path serves stale or wrong data: events after the snapshot, a damaged ticket file or index,
// a snapshot replaced under a reader, a repair, and a doctor that verifies only the new part of the log.
import { appendFileSync, closeSync, openSync, readFileSync, readdirSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runDoctor } from '../src/doctor/index.js';
import { openWorkspace } from '../src/workspace/open.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { master } from './helpers/cli.js';
import { makeWorkspaceWithFolders } from './helpers/workspace.js';

/** `T-1 triage`, … for each row of `ticket list` output. */
function idsAndStates(stdout: string): string[] {
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/\s+/).slice(0, 2).join(' '));
}

function workspace(): string {
  return makeWorkspaceWithFolders({ brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }] });
}

/** A workspace of `count` tickets (every even one approved) with a snapshot of them all. */
async function snapshotted(count: number): Promise<string> {
  const home = workspace();
  const ws = await openWorkspace(home);
  for (let i = 1; i <= count; i++) {
    const t = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: `ticket ${i}`, body: `body of ${i}` });
    if (i % 2 === 0) ws.tickets.transition(t.id, 'approve', { by: 'test' });
  }
  await ws.store.writeSnapshot();
  await ws.store.close();
  return home;
}

function snapshotHead(home: string): { seq: number; tickets: { file: string; bytes: number; indexBytes: number; count: number } } {
  return JSON.parse(readFileSync(workspacePaths(home).state, 'utf8'));
}

function ticketFile(home: string): string {
  return path.join(workspacePaths(home).data, snapshotHead(home).tickets.file);
}

function listRows(home: string, ...extra: string[]): string[] {
  const r = master(['ticket', 'list', '--home', home, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim().split('\n').slice(1);
}

/** Overwrites bytes in place (same length): the file's size still matches what the snapshot names. */
function scribble(file: string, at: number, text: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from(text), 0, Buffer.byteLength(text), at);
  closeSync(fd);
}

describe('the lean read path', () => {
  it('keeps the tickets in a ticket file beside a small state.json, one index line and one JSON line per ticket', async () => {
    const home = await snapshotted(6);
    const head = snapshotHead(home);
    expect(head.tickets.count).toBe(6);
    const data = readFileSync(ticketFile(home));
    expect(data.length).toBe(head.tickets.bytes);
    const index = data.subarray(0, head.tickets.indexBytes).toString().trim().split('\n');
    expect(index).toHaveLength(6);
    expect(index[1]!.split('\t').slice(0, 1).concat(index[1]!.split('\t').slice(3, 4))).toEqual(['T-2', 'ready']);
    const lines = data.subarray(head.tickets.indexBytes).toString().trim().split('\n');
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(['T-1', 'T-2', 'T-3', 'T-4', 'T-5', 'T-6']);
    expect(JSON.parse(readFileSync(workspacePaths(home).state, 'utf8')).state.tickets).toEqual({});
  });

  it('lists and shows what the log says after the snapshot, not what the snapshot says', async () => {
    const home = await snapshotted(4);
    const before = snapshotHead(home).seq;
    // One-shot commands leave the snapshot behind: these events are only in the log.
    expect(master(['ticket', 'move', 'T-1', 'approve', '--home', home]).code).toBe(0);
    expect(master(['ticket', 'move', 'T-2', 'cancel', '--home', home]).code).toBe(0);
    expect(master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'after the snapshot', '--home', home]).code).toBe(0);
    expect(snapshotHead(home).seq).toBe(before);

    const rows = listRows(home);
    expect(rows.map((r) => r.split(/\s+/).slice(0, 2).join(' '))).toEqual(['T-1 ready', 'T-2 cancelled', 'T-3 triage', 'T-4 ready', 'T-5 triage']);
    expect(rows[4]).toMatch(/after the snapshot/);
    expect(listRows(home, '--state', 'ready').map((r) => r.split(/\s+/)[0])).toEqual(['T-1', 'T-4']);
    const show = master(['ticket', 'show', 'T-2', '--json', '--home', home]);
    expect(show.code, show.stderr).toBe(0);
    const t2 = JSON.parse(show.stdout);
    expect(t2.state).toBe('cancelled');
    expect(t2.history.map((h: { event: string }) => h.event)).toEqual(['approve', 'cancel']);
    expect(t2.body).toBe('body of 2');
    // The next snapshot carries both the untouched tickets (copied as they were) and the changed ones.
    const ws = await openWorkspace(home);
    await ws.store.writeSnapshot();
    await ws.store.close();
    const again = await openWorkspace(home);
    expect(Object.values(again.store.state.tickets).map((t) => `${t.id} ${t.state} ${t.body}`)).toEqual([
      'T-1 ready body of 1',
      'T-2 cancelled body of 2',
      'T-3 triage body of 3',
      'T-4 ready body of 4',
      'T-5 triage ',
    ]);
    await again.store.close();
  });

  it('rebuilds from the log when the ticket file is truncated or missing', async () => {
    for (const breakIt of [(file: string) => truncateSync(file, 50), (file: string) => writeFileSync(file, '')]) {
      const home = await snapshotted(4);
      expect(master(['ticket', 'move', 'T-3', 'approve', '--home', home]).code).toBe(0);
      breakIt(ticketFile(home));
      const r = master(['ticket', 'list', '--home', home]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/state\.json was unreadable \(its ticket file .* bytes, not the .*\); rebuilt it from the event log/);
      expect(idsAndStates(r.stdout)).toEqual(['T-1 triage', 'T-2 ready', 'T-3 ready', 'T-4 ready']);
    }
    const home = await snapshotted(3);
    unlinkSync(ticketFile(home));
    const r = master(['ticket', 'show', 'T-2', '--json', '--home', home]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/its ticket file .* is missing\); rebuilt it from the event log/);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: 'T-2', state: 'ready', body: 'body of 2' });
  });

  it('reads a ticket whose line is damaged in place from the log, and writes the snapshot anew', async () => {
    const home = await snapshotted(4);
    expect(master(['ticket', 'move', 'T-2', 'cancel', '--home', home]).code).toBe(0);
    const head = snapshotHead(home);
    const file = ticketFile(home);
    const data = readFileSync(file);
    // The ticket line of T-2 now holds garbage of the same length; the file's size is unchanged.
    const start = data.indexOf('{"id":"T-2"', head.tickets.indexBytes);
    scribble(file, start, 'x'.repeat(20));
    const r = master(['ticket', 'show', 'T-2', '--json', '--home', home]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the line of T-2 .* is not JSON; that ticket was read from the event log instead/);
    const t2 = JSON.parse(r.stdout);
    expect(t2).toMatchObject({ id: 'T-2', state: 'cancelled', body: 'body of 2' });
    // Read from the log at the snapshot's sequence, then the later cancel applied once: not twice.
    expect(t2.history.map((h: { event: string }) => h.event)).toEqual(['approve', 'cancel']);
    expect(snapshotHead(home).tickets.file).not.toBe(head.tickets.file);
    const clean = master(['ticket', 'show', 'T-2', '--json', '--home', home]);
    expect(clean.stderr).toBe('');
    expect(JSON.parse(clean.stdout).history).toHaveLength(2);
  });

  it('recovers from a damaged index line: the list still shows every ticket as the log has it', async () => {
    const home = await snapshotted(4);
    const file = ticketFile(home);
    const index = readFileSync(file).subarray(0, snapshotHead(home).tickets.indexBytes).toString();
    // Break the field count of T-3's index line without changing the file's size.
    const at = index.indexOf('T-3\t');
    const tab = index.indexOf('\t', at + 4);
    scribble(file, tab, ' ');
    const r = master(['ticket', 'list', '--home', home]);
    expect(r.code, r.stderr).toBe(0);
    expect(idsAndStates(r.stdout)).toEqual(['T-1 triage', 'T-2 ready', 'T-3 triage', 'T-4 ready']);
    // The damaged index is not kept: the snapshot is written anew on close.
    expect(master(['ticket', 'list', '--home', home]).stdout).toBe(r.stdout);
  });

  it('a reader that opened the snapshot keeps reading it whole while another process replaces it', async () => {
    const home = await snapshotted(4);
    const reader = await openWorkspace(home);
    const writer = await openWorkspace(home);
    writer.tickets.transition('T-1', 'approve', { by: 'test' });
    await writer.store.writeSnapshot();
    writer.tickets.transition('T-3', 'approve', { by: 'test' });
    await writer.store.writeSnapshot();
    await writer.store.close();
    // The reader's ticket file is gone from the folder (or about to go); its tickets still read as they were.
    expect(reader.store.state.tickets['T-4']).toMatchObject({ state: 'ready', body: 'body of 4' });
    reader.store.refresh();
    expect(reader.store.state.tickets['T-1']?.state).toBe('ready');
    expect(reader.store.state.tickets['T-3']?.state).toBe('ready');
    await reader.store.close();
    // Only the newest snapshot's ticket file stays once its writer moved on.
    const files = readdirSync(workspacePaths(home).data).filter((n) => n.endsWith('.tickets'));
    expect(files).toContain(snapshotHead(home).tickets.file);
  });

  it('a snapshot that changed no ticket names a hard link of the last ticket file; one that did copies the rest as they were', async () => {
    const home = await snapshotted(6);
    const first = snapshotHead(home);
    const ws = await openWorkspace(home);
    // Events that touch no ticket (a session's own): the tickets are not written again.
    ws.store.record({ type: 'session.start', session: 'S-1', pid: process.pid });
    await ws.store.writeSnapshot();
    const linked = snapshotHead(home);
    expect(linked.seq).toBeGreaterThan(first.seq);
    expect(linked.tickets.file).not.toBe(first.tickets.file);
    expect({ ...linked.tickets, file: '' }).toEqual({ ...first.tickets, file: '' });
    expect(statSync(ticketFile(home)).ino).toBe(statSync(path.join(workspacePaths(home).data, first.tickets.file)).ino);
    const before = readFileSync(ticketFile(home)).subarray(linked.tickets.indexBytes).toString().split('\n');
    // T-3 is read (parsed) and T-4 changed: the next snapshot writes T-4 anew and copies every other line as it was.
    expect(ws.store.state.tickets['T-3']?.body).toBe('body of 3');
    ws.tickets.transition('T-4', 'cancel', { by: 'test' });
    ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'ticket 7', body: 'body of 7' });
    await ws.store.close();
    const written = snapshotHead(home);
    const data = readFileSync(ticketFile(home));
    expect(data.length).toBe(written.tickets.bytes);
    const lines = data.subarray(written.tickets.indexBytes).toString().trimEnd().split('\n');
    expect(lines.map((l) => `${JSON.parse(l).id} ${JSON.parse(l).state}`)).toEqual(['T-1 triage', 'T-2 ready', 'T-3 triage', 'T-4 cancelled', 'T-5 triage', 'T-6 ready', 'T-7 triage']);
    for (const i of [0, 1, 2, 4, 5]) expect(lines[i]).toBe(before[i]);
    const again = await openWorkspace(home);
    expect(again.store.ticketSummaries().map((t) => `${t.id} ${t.state}`)).toEqual(['T-1 triage', 'T-2 ready', 'T-3 triage', 'T-4 cancelled', 'T-5 triage', 'T-6 ready', 'T-7 triage']);
    expect(Object.values(again.store.state.tickets).map((t) => t.body)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => `body of ${n}`));
    await again.store.close();
  });

  it('a snapshot whose last ticket file went meanwhile writes its tickets whole', async () => {
    const home = await snapshotted(4);
    const ws = await openWorkspace(home);
    expect(ws.store.state.tickets['T-2']?.state).toBe('ready');
    // Another process's snapshot replaced it and removed the file this one read (the open file still reads).
    unlinkSync(ticketFile(home));
    ws.store.record({ type: 'session.start', session: 'S-1', pid: process.pid });
    await ws.store.close();
    const r = master(['ticket', 'list', '--home', home]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(idsAndStates(r.stdout)).toEqual(['T-1 triage', 'T-2 ready', 'T-3 triage', 'T-4 ready']);
  });

  it('finds the tickets whose stored line holds a text, line by line or in one pass over the file, and checks the ticket itself', async () => {
    const home = await snapshotted(600);
    const ws = await openWorkspace(home);
    ws.tickets.update('T-150', () => ({ hold: { kind: 'budget', reason: 'over budget', at: ws.store.now() } }));
    // Quotes in a text are escaped in the stored line: a body cannot pass for a hold.
    ws.tickets.update('T-152', () => ({ body: 'mentions "hold":{ in its body' }));
    await ws.store.close();
    const again = await openWorkspace(home);
    // 300 ready tickets: more than are tested line by line.
    const ready = again.store.ticketsWhere((t) => t.state === 'ready', '"hold":{');
    expect(ready.map((t) => t.id)).toEqual(['T-150']);
    expect(ready[0]!.hold?.reason).toBe('over budget');
    const few = again.store.ticketsWhere((t) => t.state === 'ready' && Number(t.id.slice(2)) < 160, '"hold":{');
    expect(few.map((t) => t.id)).toEqual(['T-150']);
    // A ticket changed since the snapshot is in memory: passed on to the caller's own test whatever its line said.
    again.tickets.update('T-2', () => ({ hold: { kind: 'budget', reason: 'over budget', at: again.store.now() } }));
    expect(again.store.ticketsWhere((t) => t.state === 'ready', ['"hold":{']).map((t) => t.id)).toEqual(['T-2', 'T-150']);
    await again.store.close();
  });

  it('answers summaries and tests by summary from one pass over the index: escaped and non-ASCII titles, changes since, a damaged line', async () => {
    const home = workspace();
    const ws = await openWorkspace(home);
    for (const title of ['plain one', 'a "quoted"\ttab', 'café — ünïcode', 'plain four', 'plain five']) ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title, body: 'b' });
    ws.tickets.transition('T-4', 'approve', { by: 'test' });
    await ws.store.writeSnapshot();
    await ws.store.close();
    // Break the field count of T-5's index line without changing the file's size: read from the log instead, and said.
    const file = ticketFile(home);
    const index = readFileSync(file).subarray(0, snapshotHead(home).tickets.indexBytes).toString('latin1');
    scribble(file, index.indexOf('\t', index.indexOf('T-5\t') + 4), ' ');
    const again = await openWorkspace(home);
    const line = (t: { id: string; state: string; title: string }) => `${t.id} ${t.state} ${t.title}`;
    expect(again.store.ticketSummaries().map(line)).toEqual(['T-1 triage plain one', 'T-2 triage a "quoted"\ttab', 'T-3 triage café — ünïcode', 'T-4 ready plain four', 'T-5 triage plain five']);
    expect(again.store.notices.join('\n')).toMatch(/read from the event log/);
    expect(again.store.ticketsWhere((t) => t.state === 'ready').map((t) => t.id)).toEqual(['T-4']);
    expect(again.store.ticketsWhere((t) => t.title.includes('ü') || t.title.includes('"')).map((t) => t.title)).toEqual(['a "quoted"\ttab', 'café — ünïcode']);
    expect(again.store.ticketsWhere((t) => t.id === 'T-5').map((t) => t.body)).toEqual(['b']);
    // A change since the snapshot is seen by the next question (the walk is kept only until a ticket changes).
    again.tickets.transition('T-2', 'approve', { by: 'test' });
    expect(
      again.store
        .ticketSummaries()
        .filter((t) => t.state === 'ready')
        .map((t) => t.id),
    ).toEqual(['T-2', 'T-4']);
    expect(again.store.ticketsWhere((t) => t.state === 'ready').map((t) => `${t.id} ${t.history.length}`)).toEqual(['T-2 1', 'T-4 1']);
    await again.store.close();
  });

  it('after repair, list and show agree with the log', async () => {
    const home = await snapshotted(4);
    expect(master(['ticket', 'move', 'T-4', 'cancel', '--home', home]).code).toBe(0);
    const repaired = master(['repair', '--home', home]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(listRows(home).map((r) => r.split(/\s+/).slice(0, 2).join(' '))).toEqual(['T-1 triage', 'T-2 ready', 'T-3 triage', 'T-4 cancelled']);
    expect(JSON.parse(master(['ticket', 'show', 'T-4', '--json', '--home', home]).stdout).state).toBe('cancelled');
  });
});

describe('the doctor verifies the log incrementally', () => {
  async function logCheck(home: string, full = false) {
    const report = await runDoctor({ paths: workspacePaths(home) }, { full });
    return report.checks.find((c) => c.id === 'state.log')!;
  }

  function logFile(home: string): string {
    const dir = workspacePaths(home).events;
    return path.join(dir, readdirSync(dir).sort().at(-1)!);
  }

  it('reads only what came after its checkpoint, and still finds damage there', async () => {
    const home = await snapshotted(3);
    const first = await logCheck(home);
    expect(first.status).toBe('pass');
    expect(first.message).not.toMatch(/earlier doctor verified/);
    const second = await logCheck(home);
    expect(second.status).toBe('pass');
    expect(second.message).toMatch(/read after the part an earlier doctor verified/);
    appendFileSync(logFile(home), 'garbage{{\n');
    expect(master(['ticket', 'add', '--brand', 'alpha', '--repo', 'alpha-app', '--title', 'later', '--home', home]).code).toBe(0);
    const third = await logCheck(home);
    expect(third.status).toBe('fail');
    expect(third.message).toMatch(/damaged line .* not JSON/);
    // Damage found once is remembered by the checkpoint: the next incremental run still reports it.
    const fourth = await logCheck(home);
    expect(fourth.status).toBe('fail');
    expect(fourth.message).toMatch(/damaged line/);
    expect(master(['repair', '--home', home]).code).toBe(0);
    expect((await logCheck(home)).status).toBe('pass');
  });

  it('notices the verified part changed where it ends, and reads the whole log again', async () => {
    const home = await snapshotted(3);
    expect((await logCheck(home)).status).toBe('pass');
    // The checkpoint's own last line now repeats an earlier sequence number: no longer the event it hashed.
    const file = logFile(home);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    lines[lines.length - 1] = lines.at(-1)!.replace('"seq":4', '"seq":2');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const check = await logCheck(home);
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(/sequence 2 again/);
    // An edit inside the verified part that keeps every length is for `--full` (and `repair`) to find.
    expect((await logCheck(home, true)).status).toBe('fail');
  });

  it('--full reads the whole log and compares the snapshot ticket by ticket', async () => {
    const home = await snapshotted(3);
    await logCheck(home);
    const full = await logCheck(home, true);
    expect(full.status).toBe('pass');
    expect(full.message).not.toMatch(/earlier doctor verified/);
    const cli = master(['doctor', '--full', '--home', home]);
    expect(cli.stdout).toMatch(/state\.log .*snapshot agrees/);
  });
});
