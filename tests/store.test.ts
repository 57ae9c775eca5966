import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { Store } from '../src/state/store.js';
import { openWorkspace } from '../src/workspace/open.js';
import { workspacePaths } from '../src/workspace/paths.js';
import { master, ROOT } from './helpers/cli.js';
import { makeWorkspace } from './helpers/workspace.js';

const WRITER = path.join(ROOT, 'tests/fixtures/writer.ts');

function workspace(): string {
  return makeWorkspace({ brands: [{ id: 'alpha', name: 'Alpha', repos: [{ id: 'alpha-app', path: 'repos/alpha-app' }] }] });
}

function startWriter(home: string, count: number, mode = 'add', snapshotEvery = 500) {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, home, String(count), mode, String(snapshotEvery)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, done, output: () => stdout, errors: () => stderr };
}

function eventLines(home: string): Array<{ seq: number; type: string }> {
  const dir = workspacePaths(home).events;
  return readdirSync(dir)
    .sort()
    .flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n'))
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

describe('state store', () => {
  it('two processes adding 200 tickets each at once lose nothing', async () => {
    const home = workspace();
    const a = startWriter(home, 200);
    const b = startWriter(home, 200);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, a.errors()).toBe(0);
    expect(rb.code, b.errors()).toBe(0);
    const ids = [...a.output().matchAll(/added (T-\d+)/g), ...b.output().matchAll(/added (T-\d+)/g)].map((m) => m[1]);
    expect(ids).toHaveLength(400);
    expect(new Set(ids).size).toBe(400);

    const snapshot = JSON.parse(readFileSync(workspacePaths(home).state, 'utf8'));
    expect(snapshot.version).toBe(2);
    const events = eventLines(home).filter((e) => e.type === 'ticket.created');
    expect(events).toHaveLength(400);
    const seqs = eventLines(home).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);

    const ws = await openWorkspace(home);
    expect(Object.keys(ws.store.state.tickets).sort()).toEqual([...ids].sort());
  });

  it('keeps every acknowledged change when writers are killed at random moments', async () => {
    const home = workspace();
    const acknowledged = new Set<string>();
    const moved = new Set<string>();
    // A seeded random (mulberry32): the same kill points on every run, still spread over the writer's loop.
    let seed = 0x5eed;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    for (let round = 0; round < 8; round++) {
      const writer = startWriter(home, 100_000, 'churn', 7);
      // Kill it in its tight loop, after it acknowledged a random number of changes (an event, not a clock).
      const target = 1 + Math.floor(random() * 12);
      await vi.waitFor(() => expect(writer.output().match(/^(added|moved) /gm)?.length ?? 0).toBeGreaterThanOrEqual(target), { timeout: 30_000, interval: 5 });
      writer.child.kill('SIGKILL');
      const result = await writer.done;
      expect(result.signal).toBe('SIGKILL');
      // Only complete lines were acknowledged: a line is printed after its commit returned.
      const complete = writer.output().slice(0, writer.output().lastIndexOf('\n') + 1);
      for (const m of complete.matchAll(/added (T-\d+)/g)) acknowledged.add(m[1]!);
      for (const m of complete.matchAll(/moved (T-\d+)/g)) moved.add(m[1]!);
    }
    expect(acknowledged.size).toBeGreaterThan(20);

    const ws = await openWorkspace(home);
    const tickets = ws.store.state.tickets;
    for (const id of acknowledged) expect(tickets[id], id).toBeDefined();
    for (const id of moved) expect(tickets[id]?.state, id).toBe('ready');
    await ws.store.close();
    if (existsSync(workspacePaths(home).state)) JSON.parse(readFileSync(workspacePaths(home).state, 'utf8'));

    const repaired = master(['repair', '--home', home]);
    expect(repaired.code, repaired.stderr).toBe(0);
    const rebuilt = await openWorkspace(home);
    expect(rebuilt.store.state.tickets).toEqual(tickets);
  });

  it('rebuilds a corrupt snapshot from the event log and says so', async () => {
    const home = workspace();
    const ws = await openWorkspace(home);
    for (let i = 0; i < 5; i++) ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: `t${i}` });
    await ws.store.close();
    const stateFile = workspacePaths(home).state;
    writeFileSync(stateFile, readFileSync(stateFile, 'utf8').slice(0, 40));

    const list = master(['ticket', 'list', '--json', '--home', home]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toHaveLength(5);
    expect(list.stderr).toMatch(/state\.json was unreadable .*rebuilt it from the event log/);
    expect(list.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('ignores a torn last line, reports it, and keeps the events before it', async () => {
    const home = workspace();
    const ws = await openWorkspace(home);
    ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'one' });
    ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'two' });
    await ws.store.close();
    const dir = workspacePaths(home).events;
    const file = path.join(dir, readdirSync(dir)[0]!);
    appendFileSync(file, '{"seq":3,"at":"2026-01-01T00:00:00.000Z","type":"ticket.crea');

    const again = await Store.rebuild(workspacePaths(home));
    expect(Object.keys(again.store.state.tickets)).toEqual(['T-1', 'T-2']);
    expect(again.store.notices.join('\n')).toMatch(/incomplete.*ignored/);

    // The next writer drops the torn line (it was never acknowledged) and carries on; ids are not reused.
    const next = await openWorkspace(home);
    const third = next.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'three' });
    expect(third.id).toBe('T-3');
    await next.store.close();
    const reread = await Store.rebuild(workspacePaths(home));
    expect(Object.keys(reread.store.state.tickets)).toEqual(['T-1', 'T-2', 'T-3']);
  });

  it('a torn last line that happens to parse is dropped, never revived as the next event', async () => {
    const home = workspace();
    const ws = await openWorkspace(home);
    ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'acknowledged one' });
    await ws.store.close();
    const dir = workspacePaths(home).events;
    const file = path.join(dir, readdirSync(dir)[0]!);
    // A writer killed just before its newline: a complete JSON object, never flushed with its newline.
    const torn = JSON.parse(readFileSync(file, 'utf8').trim());
    torn.seq = 2;
    torn.ticket = { ...torn.ticket, id: 'T-2', title: 'never acknowledged' };
    appendFileSync(file, JSON.stringify(torn));

    const next = await openWorkspace(home);
    const acked = next.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'acknowledged two' });
    expect(acked.id).toBe('T-2');
    await next.store.close();
    const rebuilt = await Store.rebuild(workspacePaths(home));
    expect(Object.values(rebuilt.store.state.tickets).map((t) => t.title)).toEqual(['acknowledged one', 'acknowledged two']);
    expect(readFileSync(file, 'utf8')).not.toContain('never acknowledged');
  });

  it('archives old merged and cancelled tickets, still readable by show and list --all', async () => {
    const home = workspace();
    let now = new Date('2026-03-01T10:00:00Z');
    const ws = await openWorkspace(home, { clock: () => now });
    const keep = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'still open' });
    const old = ws.tickets.create({ brand: 'alpha', repo: 'alpha-app', title: 'cancelled long ago' });
    ws.tickets.transition(old.id, 'cancel', { note: 'not needed' });
    now = new Date('2026-05-01T10:00:00Z');
    expect(ws.tickets.archiveOld(30)).toEqual([old.id]);
    expect(ws.store.state.tickets[old.id]).toBeUndefined();
    expect(ws.tickets.get(old.id).state).toBe('cancelled');
    await ws.store.close();

    expect(existsSync(path.join(workspacePaths(home).archive, '2026-03.json'))).toBe(true);
    const list = JSON.parse(master(['ticket', 'list', '--json', '--home', home]).stdout);
    expect(list.map((t: { id: string }) => t.id)).toEqual([keep.id]);
    const all = JSON.parse(master(['ticket', 'list', '--all', '--json', '--home', home]).stdout);
    expect(all.map((t: { id: string }) => t.id)).toEqual([keep.id, old.id]);
    const show = master(['ticket', 'show', old.id, '--home', home]);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain('cancelled long ago');
    const move = master(['ticket', 'move', old.id, 'reopen', '--home', home]);
    expect(move.code).toBe(2);
    expect(move.stderr).toContain('archived');
  });
});
