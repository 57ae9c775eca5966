// `ticket list` streams its table from the snapshot's index: these tests hold it to the table
// `formatTicketTable` makes of the same summaries, byte for byte, through the cases the stream treats
// apart: a log tail after the snapshot, lines across the index's chunks, titles a terminal must not see
// raw, a damaged or reordered index, filters, and a reader that goes away.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { editTicket } from '../src/tickets/actions.js';
import { formatTicketTable } from '../src/tickets/format.js';
import { writeTicketListing, type ListFilter } from '../src/tickets/listing.js';
import { openWorkspace } from '../src/workspace/open.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { BIN, master } from './helpers/cli.js';
import { makeWorkspaceWithFolders } from './helpers/workspace.js';

const REGISTRY = {
  brands: [
    { id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] },
    { id: 'beta', name: 'Beta', repos: [{ id: 'b', path: 'repos/b' }] },
  ],
};

/** What the stream prints, from a store that only looks (a damaged snapshot stays as it is for the next read). */
async function streamed(home: string, filter: ListFilter = {}): Promise<string> {
  const ws = await openWorkspace(home, { readOnly: true });
  const chunks: Buffer[] = [];
  await writeTicketListing(ws.store, filter, (chunk) => {
    chunks.push(Buffer.from(chunk));
    return true;
  });
  await ws.store.close();
  return Buffer.concat(chunks).toString('utf8');
}

/** The table as `formatTicketTable` makes it of every summary, in memory. */
async function expected(home: string, filter: ListFilter = {}): Promise<string> {
  const ws = await openWorkspace(home, { readOnly: true });
  const text = `${formatTicketTable(ws.tickets.listSummaries(filter))}\n`;
  await ws.store.close();
  return text;
}

async function agrees(home: string, filters: ListFilter[] = [{}]): Promise<void> {
  for (const filter of filters) expect(await streamed(home, filter), JSON.stringify(filter)).toBe(await expected(home, filter));
}

function head(home: string): { tickets: { file: string; indexBytes: number } } {
  return JSON.parse(readFileSync(workspacePaths(home).state, 'utf8'));
}

function ticketFile(home: string): string {
  return path.join(workspacePaths(home).data, head(home).tickets.file);
}

function indexText(home: string): string {
  return readFileSync(ticketFile(home)).subarray(0, head(home).tickets.indexBytes).toString('latin1');
}

/** Overwrites bytes in place (same length): the file still has the size the snapshot names. */
function scribble(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, bytes, 0, bytes.length, at);
  closeSync(fd);
}

/** A workspace of `count` tickets with long titles (an index over several 64 KiB chunks) and a snapshot of them. */
async function snapshotted(count: number, title = (i: number) => `ticket ${i} ${'with a long title '.repeat(40)}`): Promise<string> {
  const home = makeWorkspaceWithFolders(REGISTRY);
  const ws = await openWorkspace(home);
  for (let i = 1; i <= count; i++) {
    const t = ws.tickets.create({ brand: i % 3 ? 'alpha' : 'beta', repo: i % 3 ? 'alpha-app' : 'b', title: title(i), priority: i % 5 ? 'p2' : 'p0' });
    if (i % 2 === 0) ws.tickets.transition(t.id, 'approve', { by: 'test' });
  }
  await ws.store.writeSnapshot();
  await ws.store.close();
  return home;
}

const FILTERS: ListFilter[] = [{}, { state: 'ready' }, { brand: 'beta' }, { brand: 'alpha', state: 'triage' }, { state: 'merged' }];

describe('ticket list as a stream', () => {
  it('prints what the table of every summary prints, over an index of several chunks, with each filter', async () => {
    const home = await snapshotted(110);
    expect(head(home).tickets.indexBytes).toBeGreaterThan(64 * 1024);
    await agrees(home, FILTERS);
    expect(await streamed(home, { state: 'merged' })).toBe('no tickets\n');
  });

  it('applies the log after the snapshot: changed, created and archived tickets', async () => {
    const home = await snapshotted(60);
    let now = new Date();
    const ws = await openWorkspace(home, { clock: () => now });
    ws.tickets.transition('T-3', 'approve', { by: 'test' });
    ws.tickets.transition('T-4', 'cancel', { by: 'test' });
    ws.tickets.transition('T-6', 'cancel', { by: 'test' });
    editTicket(ws.tickets, 'T-5', { title: 'edited after the snapshot' });
    ws.tickets.create({ brand: 'beta', repo: 'b', title: 'created after the snapshot' });
    now = new Date(now.getTime() + 40 * 86_400_000);
    expect(ws.tickets.archiveOld(30).sort()).toEqual(['T-4', 'T-6']);
    // None of this is in the snapshot: a one-shot reader takes it from the log.
    await ws.store.close({ snapshotIfBehind: Number.POSITIVE_INFINITY });
    const text = await streamed(home);
    expect(text).toMatch(/\nT-3 +ready /);
    expect(text).toMatch(/\nT-61 +triage +p2 +beta\/b +agent +created after the snapshot\n$/);
    expect(text).not.toMatch(/\nT-4 /);
    expect(text).not.toMatch(/\nT-6 /);
    await agrees(home, FILTERS);
  });

  it('shows a title with escapes, controls, bidirectional overrides or any script as the table does', async () => {
    const titles = ['say "hi" \\ back', 'tab\there and a newline\nthere', 'bell \u0007 and DEL \u007f', 'right-to-left \u202e gnp.exe', 'Ünïcödé 漢字 ✓', 'C1 \u009b31m'];
    const home = await snapshotted(titles.length, (i) => titles[i - 1]!);
    const text = await streamed(home);
    expect(text).toContain('say "hi" \\ back');
    expect(text).toContain('tab\\there and a newline\\nthere');
    expect(text).toContain('bell \\x07 and DEL \\x7f');
    expect(text).toContain('right-to-left \\u202e gnp.exe');
    expect(text).toContain('Ünïcödé 漢字 ✓');
    expect(text).not.toMatch(/[\u0007\u007f\u009b\u202e]/);
    await agrees(home, FILTERS);
  });

  it('reads a line longer than a chunk of the index', async () => {
    const home = await snapshotted(5, (i) => (i === 3 ? `huge ${'x'.repeat(100_000)} end` : `ticket ${i}`));
    const text = await streamed(home);
    expect(text).toMatch(/\nT-3 +triage .* huge x+ end\n/);
    await agrees(home);
  });

  it('reads a damaged index line from the log, and says so', async () => {
    const home = await snapshotted(80);
    const index = indexText(home);
    // T-41's line loses a field (a tab becomes a space); its size stays the same.
    scribble(ticketFile(home), index.indexOf('\t', index.indexOf('\nT-41\t') + 6), Buffer.from(' '));
    const ws = await openWorkspace(home, { readOnly: true });
    const chunks: Buffer[] = [];
    await writeTicketListing(ws.store, {}, (chunk) => chunks.push(Buffer.from(chunk)) > 0);
    expect(ws.store.notices.join('\n')).toMatch(/an index line has 9 fields, not 10; that ticket was read from the event log instead/);
    await ws.store.close();
    expect(Buffer.concat(chunks).toString()).toMatch(/\nT-41 +triage /);
    await agrees(home, FILTERS);
  });

  it('orders an index that is not in id order, and falls back to the table for the same id twice', async () => {
    const home = await snapshotted(30, (i) => `ticket ${String(i).padStart(2, '0')}`);
    const index = indexText(home);
    const lines = index.split('\n');
    // Two index lines of the same length, some ids apart, change places: the lower id comes after higher ones.
    const a = lines.findIndex((l, i) => i >= 10 && lines.slice(i + 3, 29).some((m) => m.length === l.length));
    const b = lines.findIndex((m, i) => i >= a + 3 && m.length === lines[a]!.length);
    expect(a).toBeGreaterThan(0);
    [lines[a], lines[b]] = [lines[b]!, lines[a]!];
    scribble(ticketFile(home), 0, Buffer.from(lines.join('\n'), 'latin1'));
    const text = await streamed(home);
    expect(
      text
        .split('\n')
        .slice(1, 31)
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(Array.from({ length: 30 }, (_, i) => `T-${i + 1}`));
    await agrees(home, FILTERS);
    // T-13's line now says T-12: the same id twice, which the table reads as one ticket.
    const at = indexText(home).indexOf('\nT-13\t') + 1;
    scribble(ticketFile(home), at, Buffer.from('T-12'));
    await agrees(home, FILTERS);
  });

  it('the CLI writes the same table through a pipe, and stops quietly when the reader goes away', async () => {
    const home = await snapshotted(120);
    const listed = master(['ticket', 'list', '--home', home]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toBe(await expected(home));
    const cut = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" ticket list --home "${home}" | head -n 2; echo "exit \${PIPESTATUS[0]}" >&2`], {
      env: { ...process.env, MASTER_HOME: '' },
      encoding: 'utf8',
    });
    expect(cut.stdout.split('\n').slice(0, 2)).toEqual(listed.stdout.split('\n').slice(0, 2));
    expect(cut.stderr.trim()).toBe('exit 0');
  });
});

describe('finding one ticket in the index', () => {
  async function readAll(home: string, ids: string[]): Promise<Array<string | undefined>> {
    const ws = await openWorkspace(home, { readOnly: true });
    const found = ids.map((id) => ws.store.state.tickets[id]?.title);
    await ws.store.close();
    return found;
  }

  it('finds each ticket of an index in id order, and misses one it does not have', async () => {
    const home = await snapshotted(70, (i) => (i === 33 ? `long ${'y'.repeat(9000)}` : `ticket ${i}`));
    const ids = Array.from({ length: 70 }, (_, i) => `T-${i + 1}`);
    const titles = await readAll(home, [...ids, 'T-71', 'T-0', 'T-1000']);
    expect(titles.slice(0, 70)).toEqual(ids.map((_, i) => (i === 32 ? `long ${'y'.repeat(9000)}` : `ticket ${i + 1}`)));
    expect(titles.slice(70)).toEqual([undefined, undefined, undefined]);
    const show = master(['ticket', 'show', 'T-71', '--home', home]);
    expect(show.code).toBe(2);
    expect(show.stderr).toMatch(/no ticket T-71/);
  });

  it('reads a ticket whose index line it found damaged from the log', async () => {
    const home = await snapshotted(60, (i) => `ticket ${i}`);
    const index = indexText(home);
    scribble(ticketFile(home), index.indexOf('\t', index.indexOf('\nT-42\t') + 6), Buffer.from(' '));
    const ws = await openWorkspace(home, { readOnly: true });
    expect(ws.store.state.tickets['T-42']).toMatchObject({ id: 'T-42', state: 'ready', title: 'ticket 42' });
    expect(ws.store.notices.join('\n')).toMatch(/an index line has 9 fields, not 10; that ticket was read from the event log instead/);
    expect(ws.store.state.tickets['T-43']?.title).toBe('ticket 43');
    await ws.store.close();
  });

  it('finds each ticket of an index out of id order too', async () => {
    const home = await snapshotted(40, (i) => `ticket ${String(i).padStart(2, '0')}`);
    const lines = indexText(home).split('\n');
    const a = lines.findIndex((l, i) => i >= 5 && lines.slice(i + 3, 39).some((m) => m.length === l.length));
    const b = lines.findIndex((m, i) => i >= a + 3 && m.length === lines[a]!.length);
    expect(a).toBeGreaterThan(0);
    [lines[a], lines[b]] = [lines[b]!, lines[a]!];
    scribble(ticketFile(home), 0, Buffer.from(lines.join('\n'), 'latin1'));
    const ids = Array.from({ length: 40 }, (_, i) => `T-${i + 1}`);
    // Each id read in a fresh store: the first miss of a bisection is what finds the index out of order.
    for (const id of [ids[a]!, ids[b]!, 'T-41']) expect((await readAll(home, [id]))[0]).toBe(id === 'T-41' ? undefined : `ticket ${id.slice(2).padStart(2, '0')}`);
    expect(await readAll(home, ids)).toEqual(ids.map((id) => `ticket ${id.slice(2).padStart(2, '0')}`));
  });
});
