import { mkdirSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { errorMessage } from '../errors.js';
import { GitRepo } from '../git/repo.js';
import { repoPath } from '../registry/load.js';
import type { Brand, Repo } from '../registry/schema.js';
import { FileLock } from '../state/lock.js';
import type { Ticket } from '../state/types.js';
import { byPriority } from '../tickets/index.js';
import type { Workspace } from '../workspace/open.js';
import { gateLockPath } from '../git/gatePaths.js';
import { gateTicket } from './ticketGate.js';
import type { DoctorGrade, GateOptions, GateOutcome } from './types.js';

/** Tickets the gate has work for: in review, or in merging (a swap that waited or was interrupted). */
export function gateCandidates(ws: Pick<Workspace, 'store'>, only?: string[]): Ticket[] {
  return Object.values(ws.store.state.tickets)
    .filter((t) => (t.state === 'review' || t.state === 'merging') && (!only || only.includes(t.id)))
    .sort(byPriority);
}

/** The system doctor's grade, loaded lazily so the gate costs nothing when no ticket waits. */
export async function systemDoctorGrade(ws: Workspace): Promise<DoctorGrade> {
  const { runDoctor } = await import('../doctor/index.js');
  const report = await runDoctor({ paths: ws.paths, registry: ws.registry, store: ws.store, tickets: ws.tickets }, { file: true });
  return {
    grade: report.grade,
    passed: report.passed,
    total: report.total,
    failing: report.checks.filter((c) => c.status === 'fail').map((c) => `${c.title}: ${c.message}`),
  };
}

/**
 * The merge gate: one queue per repo (tickets in priority order, one at a
 * time), repos side by side. Returns what happened to every ticket.
 */
export async function runMergeGate(ws: Workspace, options: GateOptions = {}): Promise<GateOutcome[]> {
  if (options.bus) ws.store.attachBus(options.bus);
  const signal = options.signal ?? new AbortController().signal;
  const doctor = options.doctor ?? (() => systemDoctorGrade(ws));
  const byRepo = new Map<string, { brand: Brand; repo: Repo; tickets: Ticket[] }>();
  for (const ticket of gateCandidates(ws, options.only)) {
    const brand = ws.registry.brands.find((b) => b.id === ticket.brand);
    const repo = brand?.repos.find((r) => r.id === ticket.repo);
    if (!brand || !repo) continue;
    const entry = byRepo.get(repo.id) ?? { brand, repo, tickets: [] };
    entry.tickets.push(ticket);
    byRepo.set(repo.id, entry);
  }
  const limit = pLimit(options.concurrency ?? ws.registry.dispatch.concurrency);
  const queues = [...byRepo.values()].map(({ brand, repo, tickets }) =>
    limit(async (): Promise<GateOutcome[]> => {
      const waitAll = (reason: string) => tickets.map((t) => ({ ticket: t.id, repo: repo.id, result: 'waiting' as const, reason, attempts: 0 }));
      const lockFile = gateLockPath(ws.paths, repo.id);
      mkdirSync(path.dirname(lockFile), { recursive: true });
      const lock = new FileLock(lockFile, 'gate');
      const taken = lock.tryAcquire();
      if (!taken.ok) return waitAll(`another merge gate is working on ${repo.id} (pid ${taken.holder?.pid ?? 'unknown'}); the tickets wait for it`);
      try {
        let git: GitRepo;
        try {
          git = await GitRepo.open(repoPath(ws.paths.home, repo), { id: repo.id, mainBranch: repo.mainBranch });
        } catch (error) {
          return waitAll(`cannot open ${repo.id}: ${errorMessage(error)}`);
        }
        const outcomes: GateOutcome[] = [];
        for (const ticket of tickets) {
          try {
            outcomes.push(await gateTicket({ ws, brand, repo, git, options, signal, doctor }, ticket.id));
          } catch (error) {
            const reason = `the gate failed on ${ticket.id}: ${errorMessage(error)}; it waits for the next run`;
            ws.store.record({ type: 'gate.step', ticket: ticket.id, brand: brand.id, repo: repo.id, step: 'queue', status: 'fail', reason });
            outcomes.push({ ticket: ticket.id, repo: repo.id, result: 'waiting', reason, attempts: 0, crashed: true });
          }
        }
        return outcomes;
      } finally {
        lock.release();
      }
    }),
  );
  return (await Promise.all(queues)).flat();
}
