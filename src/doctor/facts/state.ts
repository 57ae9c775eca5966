import { createHash } from 'node:crypto';
import { closeSync, readFileSync, statSync } from 'node:fs';
import { EventLog, LOG_START, type DamagedLine, type LogGap, type LogPosition } from '../../state/eventLog.js';
import { accountedFor } from '../../state/quarantine.js';
import { applyEvent } from '../../state/reducer.js';
import { locateRefusals, type Refusal } from '../../state/refused.js';
import { openTicketFile, writeJsonAtomicSync, type Snapshot } from '../../state/snapshotFile.js';
import { Store, snapshotMatchesLog } from '../../state/store.js';
import { TicketTable, type TicketSummary } from '../../state/ticketTable.js';
import { STATE_VERSION, emptyState, type State, type Ticket } from '../../state/types.js';
import type { WorkspacePaths } from '../../workspace/paths.js';

export type SnapshotFacts = { ok: true; version: number; seq: number; count: number } | { ok: false; missing: boolean; problem: string };

/** The hot tickets, read the lean way: summaries, and whole tickets only for those a check looks at. */
export interface HotTickets {
  summaries(): readonly TicketSummary[];
  where(keep: (s: TicketSummary) => boolean): Ticket[];
  readonly count: number;
}

/** The snapshot and the event log as read from disk, without the store (which would repair what it finds). */
export interface StateFacts {
  snapshot: SnapshotFacts;
  log: {
    events: number;
    firstSeq: number;
    lastSeq: number;
    /** A torn last line (a writer killed mid-append), as a sentence. */
    problems: string[];
    /** Damaged lines and gaps no `master repair` has accounted for yet. */
    damaged: DamagedLine[];
    gaps: LogGap[];
    /** How many damaged lines and gaps earlier repairs accounted for. */
    accounted: number;
    /** Whether the log was read whole, or only after the part an earlier doctor verified. */
    whole: boolean;
  };
  /** What the log adds up to: the current state, read-only (its tickets are read when looked at). */
  state: State;
  hot: HotTickets;
  /** Where the snapshot and the log replayed to the snapshot's sequence disagree. */
  mismatches: string[];
}

/**
 * What an earlier doctor verified of the log, so the next one reads only what
 * came after: up to `position` (whose line is the event `seq`, of hash
 * `line`), with each older day's file at its size then, and the damage found
 * in it that no repair had accounted for.
 */
export interface Verified {
  version: 1;
  seq: number;
  position: LogPosition;
  line: string;
  files: Record<string, number>;
  events: number;
  firstSeq: number;
  /** Damaged lines and gaps ever found, accounted for or not. */
  found: number;
  damaged: DamagedLine[];
  gaps: LogGap[];
}

function hashLine(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** Reads the checkpoint and checks that the log still holds what it says, unchanged in length up to there. */
function readVerified(paths: WorkspacePaths, log: EventLog): Verified | null {
  let v: Verified;
  try {
    v = JSON.parse(readFileSync(verifiedFile(paths), 'utf8')) as Verified;
  } catch {
    return null;
  }
  if (v?.version !== 1 || !v.position || typeof v.position.file !== 'string' || !(v.position.offset > 0) || typeof v.seq !== 'number' || !Array.isArray(v.damaged) || !Array.isArray(v.gaps))
    return null;
  const before = log.files().filter((f) => f < v.position.file);
  if (before.length !== Object.keys(v.files ?? {}).length) return null;
  for (const file of before) {
    try {
      if (statSync(`${log.dir}/${file}`).size !== v.files[file]) return null;
    } catch {
      return null;
    }
  }
  const line = log.lineEndingAt(v.position);
  if (!line || (line as { seq?: unknown }).seq !== v.seq || hashLine(line) !== v.line) return null;
  return v;
}

export function verifiedFile(paths: WorkspacePaths): string {
  return `${paths.data}/.${paths.state.slice(paths.data.length + 1)}.verified`;
}

function snapshotFacts(paths: WorkspacePaths): { facts: SnapshotFacts; data: Snapshot | null } {
  let text: string;
  try {
    text = readFileSync(paths.state, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { facts: { ok: false, missing: code === 'ENOENT', problem: code === 'ENOENT' ? 'no snapshot yet' : `cannot read it (${code})` }, data: null };
  }
  let data: Snapshot;
  try {
    data = JSON.parse(text) as Snapshot;
  } catch (error) {
    return { facts: { ok: false, missing: false, problem: `not valid JSON (${(error as Error).message})` }, data: null };
  }
  if (
    !data ||
    typeof data.version !== 'number' ||
    typeof data.seq !== 'number' ||
    typeof data.position?.file !== 'string' ||
    !data.state ||
    typeof data.state.tickets !== 'object' ||
    data.state.tickets === null
  ) {
    return { facts: { ok: false, missing: false, problem: 'it does not have the shape of a state snapshot' }, data: null };
  }
  if (data.tickets) {
    const found = openTicketFile(paths.state, data.tickets);
    if (!('fd' in found)) return { facts: { ok: false, missing: false, problem: found.problem }, data: null };
    try {
      const size = statSync(found.file).size;
      if (size !== data.tickets.bytes)
        return { facts: { ok: false, missing: false, problem: `its ticket file ${data.tickets.file} has ${size} bytes, not the ${data.tickets.bytes} it names` }, data: null };
    } finally {
      closeSync(found.fd);
    }
    return { facts: { ok: true, version: data.version, seq: data.seq, count: data.tickets.count }, data };
  }
  return { facts: { ok: true, version: data.version, seq: data.seq, count: Object.keys(data.state.tickets).length }, data };
}

/** The snapshot's tickets' states, by id (version 2 from its index, without parsing a ticket). */
function snapshotStates(paths: WorkspacePaths, data: Snapshot): Map<string, string> {
  if (!data.tickets) return new Map(Object.entries(data.state.tickets).map(([id, t]) => [id, t.state]));
  const found = openTicketFile(paths.state, data.tickets);
  if (!('fd' in found)) return new Map();
  const table = new TicketTable({ ...found, indexBytes: data.tickets.indexBytes }, () => undefined);
  try {
    return new Map(table.summaries().map((s) => [s.id, s.state]));
  } finally {
    table.close();
  }
}

function hotOf(table: { summaries(): TicketSummary[]; where(keep: (s: TicketSummary) => boolean): Ticket[]; size: number }): HotTickets {
  return {
    summaries: () => table.summaries(),
    where: (keep) => table.where(keep),
    get count() {
      return table.size;
    },
  };
}

/**
 * The state and the log's health. By default the log is verified only after
 * what an earlier doctor verified (a checkpoint that must still match the log
 * where it ends), and the state is the snapshot plus the log after it; with
 * `full` (or no usable checkpoint) the whole log is read, replayed and
 * compared with the snapshot ticket by ticket. A `store` the caller has
 * open stands for the snapshot plus the log after it.
 */
export async function gatherStateFacts(paths: WorkspacePaths, options: { full?: boolean; store?: Store } = {}): Promise<StateFacts> {
  const { facts: snapshot, data } = snapshotFacts(paths);
  const log = new EventLog(paths.events);
  const verified = options.full ? null : readVerified(paths, log);
  const read = log.readFrom(verified?.position ?? LOG_START, verified?.seq ?? 0);
  const seen = accountedFor(read.events);
  const lastSeq = read.events.at(-1)?.seq ?? verified?.seq ?? 0;
  const events = (verified?.events ?? 0) + read.events.length;
  const firstSeq = verified?.firstSeq || (read.events[0]?.seq ?? 0);

  const mismatches: string[] = [];
  let state: State;
  let hot: HotTickets;
  // Lines the reducer refused (a transition from a state the ticket is not in) count as damaged until `master repair` accounts for them.
  let refused: DamagedLine[];
  if (verified) {
    // The log before the checkpoint is as verified: the state is the snapshot and the log after it (as every command reads it).
    // A caller's open store (a session's) is that same state once caught up: its snapshot is not read and indexed again.
    const store = options.store ?? (await Store.open(paths, { readOnly: true }));
    if (options.store) store.refresh();
    state = store.state;
    refused = store.refused.filter((line) => line.file > verified.position.file || (line.file === verified.position.file && line.offset >= verified.position.offset));
    hot = {
      summaries: () => store.ticketSummaries(),
      where: (keep) => store.ticketsWhere(keep),
      get count() {
        return store.hotCount;
      },
    };
    if (data && snapshot.ok) {
      if (data.seq > lastSeq) mismatches.push(snapshotAhead(data.seq, lastSeq));
      else if (!snapshotMatchesLog(log, data)) mismatches.push(`the snapshot says it ends at sequence ${data.seq} at ${data.position.file}:${data.position.offset}, where the log has another line`);
    }
  } else {
    state = emptyState();
    const atSnapshot = emptyState();
    const refusals: Refusal[] = [];
    // A full read holds every event: the state is replayed from them, and compared with the snapshot at its sequence.
    for (const event of read.events) {
      const refusal = applyEvent(state, event);
      if (refusal !== null) refusals.push({ event, reason: refusal });
      if (data && snapshot.ok && event.seq <= data.seq) applyEvent(atSnapshot, event);
    }
    refused = locateRefusals(paths.events, refusals);
    hot = hotOf(TicketTable.of(state.tickets));
    if (data && snapshot.ok) {
      const states = snapshotStates(paths, data);
      if (data.seq > lastSeq) {
        const only = [...states.keys()].filter((id) => !state.tickets[id] && !state.archived[id]);
        mismatches.push(snapshotAhead(data.seq, lastSeq) + (only.length ? ` (${only.slice(0, 5).join(', ')}${only.length > 5 ? ` and ${only.length - 5} more` : ''} only in the snapshot)` : ''));
      } else {
        const ids = new Set([...states.keys(), ...Object.keys(atSnapshot.tickets)]);
        for (const id of ids) {
          const a = states.get(id);
          const b = atSnapshot.tickets[id];
          if (!a || !b) mismatches.push(`${id} is ${a ? 'in the snapshot but not in the log' : 'in the log but not in the snapshot'}`);
          else if (a !== b.state) mismatches.push(`${id} is ${a} in the snapshot but ${b.state} in the log`);
          if (mismatches.length >= 5) break;
        }
      }
    }
  }
  const allDamaged = [...(verified?.damaged ?? []), ...read.damaged, ...refused];
  const allGaps = [...(verified?.gaps ?? []), ...read.gaps];
  const damaged = allDamaged.filter((d) => !seen.damaged.has(`${d.file}@${d.offset}`));
  const gaps = allGaps.filter((g) => !seen.gaps.has(`${g.after}>${g.next}`));
  const found = (verified?.found ?? 0) + read.damaged.length + refused.length + read.gaps.length;
  if (read.position.offset > 0) {
    const line = log.lineEndingAt(read.position);
    const seq = (line as { seq?: unknown } | null)?.seq;
    if (line && seq === lastSeq) {
      const files = Object.fromEntries(
        log
          .files()
          .filter((f) => f < read.position.file)
          .map((f) => [f, statSync(`${log.dir}/${f}`).size]),
      );
      const next: Verified = { version: 1, seq: lastSeq, position: read.position, line: hashLine(line), files, events, firstSeq, found, damaged, gaps };
      writeJsonAtomicSync(verifiedFile(paths), next);
    }
  }
  return {
    snapshot,
    log: {
      events,
      firstSeq,
      lastSeq,
      problems: read.torn ? read.problems.slice(-1) : [],
      damaged,
      gaps,
      accounted: found - damaged.length - gaps.length,
      whole: !verified,
    },
    state,
    hot,
    mismatches,
  };
}

function snapshotAhead(seq: number, last: number): string {
  return `the snapshot includes events up to sequence ${seq} but the log ends at ${last}: acknowledged writes are missing from the log`;
}

export { STATE_VERSION };
