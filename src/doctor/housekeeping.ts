import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import { allRepos } from '../registry/load.js';
import type { Registry } from '../registry/schema.js';
import { FileLock } from '../state/lock.js';
import { Store } from '../state/store.js';
import { Tickets } from '../tickets/index.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { NamedProblem } from './types.js';

const CLOSED = new Set(['merged', 'cancelled']);

export interface FilingResult {
  filed: string[];
  /** Why some problems could not be filed (no repo to file against, a busy workspace). */
  notes: string[];
}

/**
 * Files one `housekeeping` ticket per named problem that has no open ticket
 * yet. Doctors serialize on a lock of their own, so two doctors running at
 * once still file a problem once.
 */
export async function fileHousekeeping(
  input: { paths: WorkspacePaths; registry: Registry; store?: Store; tickets?: Tickets },
  problems: NamedProblem[],
  /** Repo ids that exist on disk: workspace-level problems are filed against the first of them. */
  usable?: string[],
): Promise<FilingResult> {
  const result: FilingResult = { filed: [], notes: [] };
  if (problems.length === 0) return result;
  const repos = allRepos(input.registry);
  const fallback = repos.find(({ repo }) => !usable || usable.includes(repo.id)) ?? repos[0];
  if (!fallback) {
    result.notes.push('no repo in the registry to file housekeeping tickets against');
    return result;
  }
  const lockFile = path.join(input.paths.data, 'locks', 'doctor.lock');
  mkdirSync(path.dirname(lockFile), { recursive: true });
  const lock = new FileLock(lockFile, 'doctor');
  if (!lock.acquireSync(10_000).ok) {
    result.notes.push('another doctor is filing tickets; these problems are filed by it or the next run');
    return result;
  }
  const ownStore = input.store ? null : await Store.open(input.paths);
  const store = input.store ?? ownStore!;
  const tickets = input.tickets ?? new Tickets(store, input.registry);
  try {
    store.refresh();
    const open = new Set(
      // Only the doctor files tickets with a problem key, always as housekeeping: the others are not read.
      store
        .ticketsWhere((t) => t.kind === 'housekeeping' && !CLOSED.has(t.state))
        .filter((t) => t.problem)
        .map((t) => t.problem!),
    );
    for (const problem of problems) {
      if (open.has(problem.key)) continue;
      const known = problem.brand && problem.repo && repos.some(({ brand, repo }) => brand.id === problem.brand && repo.id === problem.repo);
      try {
        const ticket = tickets.create(
          {
            brand: known ? problem.brand! : fallback.brand.id,
            repo: known ? problem.repo! : fallback.repo.id,
            title: problem.title,
            body: known ? problem.body : `${problem.body}\n\n(A workspace problem, filed against ${fallback.repo.id} because every ticket needs a repo.)`,
            kind: 'housekeeping',
            priority: 'p1',
            state: 'triage',
            problem: problem.key,
          },
          'doctor',
        );
        open.add(problem.key);
        result.filed.push(ticket.id);
      } catch (error) {
        result.notes.push(`could not file "${problem.title}": ${errorMessage(error)}`);
      }
    }
  } finally {
    lock.release();
    if (ownStore) await ownStore.close({ snapshotIfBehind: 200 });
  }
  return result;
}
