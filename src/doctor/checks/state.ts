import { existsSync, readdirSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { FileLock, processAlive, staleReason, type LockHolder } from '../../state/lock.js';
import { SNAPSHOT_VERSION } from '../../state/snapshotFile.js';
import { pass, type CheckGroup, type CheckResult, type DoctorContext, type NamedProblem } from '../types.js';

/** A lock file and who holds it; `dead` when its holder no longer holds it (gone, pid reused, lease out), and why. */
export interface LockFact {
  file: string;
  holder: LockHolder | null;
  dead: boolean;
  why?: string;
}

/** Every lock file of the workspace (`.master/*.lock`, `.master/locks/*.lock`). */
export function workspaceLocks(ctx: Pick<DoctorContext, 'paths'>): LockFact[] {
  const out: LockFact[] = [];
  for (const dir of [ctx.paths.data, path.join(ctx.paths.data, 'locks')]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.lock'));
    } catch {
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const holder = FileLock.holder(file);
      const why = holder === null ? null : staleReason(file, holder);
      out.push({ file, holder, dead: why !== null, ...(why ? { why } : {}) });
    }
  }
  return out;
}

const CHECKED = new Set(['running', 'review', 'merging', 'merged']);

function ticketProblems(ctx: DoctorContext): { fails: string[]; warns: string[]; named: NamedProblem[] } {
  const fails: string[] = [];
  const warns: string[] = [];
  const named: NamedProblem[] = [];
  const repos = new Map(ctx.repos.map((r) => [r.repo.id, r]));
  // Only the states this check looks at are read whole.
  for (const ticket of ctx.state.hot.where((t) => CHECKED.has(t.state))) {
    const repo = repos.get(ticket.repo);
    if (!repo || repo.problem) continue;
    const run = ticket.runs[ticket.runs.length - 1];
    const branch = run?.branch ?? `master/${ticket.id}`;
    const hasBranch = repo.ticketBranches.some((b) => b.name === branch) || repo.worktrees.some((w) => w.branch === branch);
    if (ticket.state === 'running') {
      if (!run) fails.push(`${ticket.id} is running but has no run`);
      else if (!existsSync(run.worktree)) {
        const owner = run.owner.host === hostname() && !processAlive(run.owner.pid) ? ' (its owner is gone: the next session requeues it)' : '';
        (owner ? warns : fails).push(`${ticket.id} is running but its worktree ${run.worktree} is missing${owner}`);
      } else if (run.owner.host === hostname() && !processAlive(run.owner.pid)) {
        warns.push(`${ticket.id} is running but its process ${run.owner.pid} is gone (the next session requeues it)`);
      }
    } else if ((ticket.state === 'review' || ticket.state === 'merging') && !hasBranch) {
      fails.push(`${ticket.id} is in ${ticket.state} but its branch ${branch} is gone from ${repo.repo.id}`);
      named.push({
        key: `doctor:tickets.consistent:${ticket.id}:no-branch`,
        title: `${ticket.id} waits for the gate but its branch is gone`,
        body: `${ticket.id} (${ticket.title}) is in ${ticket.state}, but ${branch} no longer exists in ${repo.path}. Cancel it and file the work again, or restore the branch.`,
        brand: ticket.brand,
        repo: ticket.repo,
      });
    } else if (ticket.state === 'merged' && hasBranch) {
      warns.push(`${ticket.id} is merged but its branch ${branch} is still there (\`master doctor --fix\` deletes it)`);
    }
  }
  return { fails, warns, named };
}

/** Damaged lines and gaps of the log: which are damage (a copy is quarantined) and which are lost writes. */
function logCheck(ctx: DoctorContext): CheckResult {
  const { log } = ctx.state;
  const title = 'the event log is consistent with the state';
  const inGaps = new Set(log.gaps.flatMap((g) => g.damaged));
  const lost = log.gaps.filter((g) => g.damaged.length < g.next - g.after - 1);
  const damagedGaps = log.gaps.filter((g) => g.damaged.length >= g.next - g.after - 1);
  const items = [
    ...lost.map(
      (g) =>
        `acknowledged write${g.next - g.after > 2 ? 's' : ''} lost: sequence ${g.after + 1}${g.next - g.after > 2 ? `–${g.next - 1}` : ''} is missing before ${g.file} line ${g.line}${g.damaged.length ? ` (only ${g.damaged.length} damaged line${g.damaged.length === 1 ? '' : 's'} in its place)` : ' and no damaged line is in its place'}`,
    ),
    ...damagedGaps.map((g) => `sequence ${g.after + 1}${g.next - g.after > 2 ? `–${g.next - 1}` : ''} is a damaged line (${g.damaged.map((d) => `${d.file} line ${d.line}: ${d.reason}`).join('; ')})`),
    ...log.damaged.filter((d) => !inGaps.has(d)).map((d) => `damaged line ${d.file} line ${d.line}: ${d.reason}`),
    ...ctx.state.mismatches,
  ];
  const accounted = log.accounted ? `; ${log.accounted} damaged line${log.accounted === 1 ? '' : 's'} or gap${log.accounted === 1 ? '' : 's'} accounted for by \`master repair\`` : '';
  if (items.length > 0) {
    const fix = [
      lost.length || ctx.state.mismatches.some((m) => m.includes('missing from the log'))
        ? 'lost writes cannot be rebuilt from the log: restore .master/events from a backup if you have one; otherwise'
        : '',
      '`master repair` quarantines damaged lines (copies in .master/quarantine), rebuilds state and archive from the log and records what it skipped, so merges go on',
    ]
      .filter(Boolean)
      .join(' ');
    return { id: 'state.log', title, status: 'fail', message: list(items), fix };
  }
  if (log.problems.length > 0) {
    return { id: 'state.log', title, status: 'warn', message: list(log.problems) + accounted, fix: 'a killed writer tore a line; the events before it stand, nothing to do unless it repeats' };
  }
  const how = log.whole ? '' : ' (read after the part an earlier doctor verified; `master doctor --full` reads it all)';
  return pass('state.log', title, `${log.events} events, sequence ${log.firstSeq || 0}–${log.lastSeq}, snapshot agrees${accounted}${how}`);
}

function list(items: string[], max = 4): string {
  return items.length > max ? `${items.slice(0, max).join('; ')}; and ${items.length - max} more` : items.join('; ');
}

/** The state snapshot, the event log, tickets against git, and the workspace's locks. */
export const stateChecks: CheckGroup = (ctx) => {
  const results: CheckResult[] = [];
  const { snapshot, log } = ctx.state;
  const fileTitle = `the state file is valid (version ${SNAPSHOT_VERSION})`;
  if (snapshot.ok && snapshot.version >= 1 && snapshot.version <= SNAPSHOT_VERSION) {
    results.push(pass('state.file', fileTitle, `${snapshot.count} tickets at sequence ${snapshot.seq}`));
  } else if (!snapshot.ok && snapshot.missing) {
    results.push(pass('state.file', fileTitle, log.events ? `no snapshot yet; the log holds ${log.events} events` : 'a fresh workspace: no state yet'));
  } else {
    const problem = snapshot.ok
      ? `it is version ${snapshot.version}; this master reads version ${SNAPSHOT_VERSION}${snapshot.version > SNAPSHOT_VERSION ? ' (written by a newer master: upgrade)' : ''}`
      : snapshot.problem;
    results.push({ id: 'state.file', title: fileTitle, status: 'fail', message: `${ctx.paths.state}: ${problem}`, fix: '`master repair` rebuilds it from the event log' });
  }

  results.push(logCheck(ctx));

  const tickets = ticketProblems(ctx);
  const ticketTitle = "every ticket's state matches its worktree and branch";
  if (tickets.fails.length > 0) {
    results.push({
      id: 'tickets.consistent',
      title: ticketTitle,
      status: 'fail',
      message: list([...tickets.fails, ...tickets.warns]),
      fix: 'cancel tickets whose work is gone (`master ticket move ID cancel`), or restore their branch',
      problems: tickets.named,
    });
  } else if (tickets.warns.length > 0) {
    results.push({ id: 'tickets.consistent', title: ticketTitle, status: 'warn', message: list(tickets.warns), fix: 'run `master start` (crash recovery), or `master doctor --fix`' });
  } else {
    results.push(pass('tickets.consistent', ticketTitle, `${ctx.state.hot.count} tickets checked against git`));
  }

  const locks = workspaceLocks(ctx);
  const dead = locks.filter((l) => l.dead);
  const unreadable = locks.filter((l) => l.holder === null);
  const lockTitle = 'lock holders are alive';
  if (dead.length > 0 || unreadable.length > 0) {
    results.push({
      id: 'locks.alive',
      title: lockTitle,
      status: 'warn',
      message: list([...dead.map((l) => `${path.basename(l.file)} is stale: ${l.why}`), ...unreadable.map((l) => `${path.basename(l.file)} has no readable holder`)]),
      fix: '`master doctor --fix` releases locks whose holder is gone (a pid now used by another process counts as gone)',
    });
  } else {
    results.push(pass('locks.alive', lockTitle, locks.length ? `${locks.length} lock${locks.length === 1 ? '' : 's'} held by live processes` : 'no locks held'));
  }
  return results;
};
