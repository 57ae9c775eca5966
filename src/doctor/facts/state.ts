import { readFileSync } from 'node:fs';
import { EventLog, LOG_START, type DamagedLine, type LogGap } from '../../state/eventLog.js';
import { accountedFor } from '../../state/quarantine.js';
import { applyEvent } from '../../state/reducer.js';
import { locateRefusals, type Refusal } from '../../state/refused.js';
import { STATE_VERSION, emptyState, type State, type Ticket } from '../../state/types.js';
import type { WorkspacePaths } from '../../workspace/paths.js';

export type SnapshotFacts =
  | { ok: true; version: number; seq: number; tickets: Record<string, Ticket> }
  | { ok: false; missing: boolean; problem: string };

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
  };
  /** What the log adds up to: the current state, read-only. */
  state: State;
  /** Where the snapshot and the log replayed to the snapshot's sequence disagree. */
  mismatches: string[];
}

function readSnapshot(file: string): SnapshotFacts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, missing: code === 'ENOENT', problem: code === 'ENOENT' ? 'no snapshot yet' : `cannot read it (${code})` };
  }
  let data: { version?: unknown; seq?: unknown; position?: { file?: unknown }; state?: { tickets?: unknown } };
  try {
    data = JSON.parse(text) as typeof data;
  } catch (error) {
    return { ok: false, missing: false, problem: `not valid JSON (${(error as Error).message})` };
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
    return { ok: false, missing: false, problem: 'it does not have the shape of a state snapshot' };
  }
  return { ok: true, version: data.version, seq: data.seq, tickets: data.state.tickets as Record<string, Ticket> };
}

/** Reads the snapshot and replays the whole log; compares the two at the snapshot's sequence. */
export function gatherStateFacts(paths: WorkspacePaths): StateFacts {
  const snapshot = readSnapshot(paths.state);
  const read = new EventLog(paths.events).readFrom(LOG_START, 0);
  const state = emptyState();
  const atSnapshot = emptyState();
  const seen = accountedFor(read.events);
  const gaps = read.gaps.filter((g) => !seen.gaps.has(`${g.after}>${g.next}`));
  let previous = 0;
  const refusals: Refusal[] = [];
  for (const event of read.events) {
    previous = event.seq;
    const refusal = applyEvent(state, event);
    if (refusal !== null) refusals.push({ event, reason: refusal });
    if (snapshot.ok && event.seq <= snapshot.seq) applyEvent(atSnapshot, event);
  }
  // A line the reducer refused is reported as a damaged line, until `master repair` accounts for it.
  const all = [...read.damaged, ...locateRefusals(paths.events, refusals)];
  const damaged = all.filter((d) => !seen.damaged.has(`${d.file}@${d.offset}`));
  const mismatches: string[] = [];
  if (snapshot.ok) {
    if (snapshot.seq > previous) {
      const only = Object.keys(snapshot.tickets).filter((id) => !state.tickets[id] && !state.archived[id]);
      mismatches.push(
        `the snapshot includes events up to sequence ${snapshot.seq} but the log ends at ${previous}: acknowledged writes are missing from the log` +
          (only.length ? ` (${only.slice(0, 5).join(', ')}${only.length > 5 ? ` and ${only.length - 5} more` : ''} only in the snapshot)` : ''),
      );
    }
    else {
      const ids = new Set([...Object.keys(snapshot.tickets), ...Object.keys(atSnapshot.tickets)]);
      for (const id of ids) {
        const a = snapshot.tickets[id];
        const b = atSnapshot.tickets[id];
        if (!a || !b) mismatches.push(`${id} is ${a ? 'in the snapshot but not in the log' : 'in the log but not in the snapshot'}`);
        else if (a.state !== b.state) mismatches.push(`${id} is ${a.state} in the snapshot but ${b.state} in the log`);
        if (mismatches.length >= 5) break;
      }
    }
  }
  return {
    snapshot,
    log: {
      events: read.events.length,
      firstSeq: read.events[0]?.seq ?? 0,
      lastSeq: previous,
      problems: read.torn ? read.problems.slice(-1) : [],
      damaged,
      gaps,
      accounted: all.length + read.gaps.length - damaged.length - gaps.length,
    },
    state,
    mismatches,
  };
}

export { STATE_VERSION };
