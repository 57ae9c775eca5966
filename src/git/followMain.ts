import { fastForwardCheckout, gitOutcome } from './gate.js';
import type { Ticket } from '../state/types.js';

/**
 * A checkout that has main checked out but whose index and tracked files are
 * still an earlier main: the ref moved (the gate's compare-and-swap) and the
 * process died before the checkout followed. `git status` then shows the
 * merged work as staged deletions; committing that would undo the merge on
 * main without the gate, so the only right repair is to follow main.
 */
export interface BehindCheckout {
  checkout: string;
  /** The earlier main its index and tracked files match. */
  from: string;
  /** Where main points now. */
  to: string;
}

/** How far back a checkout is looked for among earlier mains (each look is one git process). */
const MAX_EARLIER = 12;

/**
 * Earlier values of main, nearest first: the chain of bases the gate swapped
 * main from (its evidence says main moved from `baseSha` to `candidateSha`),
 * then main's reflog, for a ref moved by something else.
 */
export async function earlierMains(repoPath: string, mainBranch: string, mainSha: string, tickets: Iterable<Ticket>, repoId: string): Promise<string[]> {
  const baseOf = new Map<string, string>();
  for (const ticket of tickets) {
    if (ticket.repo === repoId && ticket.gate && ticket.gate.candidateSha !== ticket.gate.baseSha) baseOf.set(ticket.gate.candidateSha, ticket.gate.baseSha);
  }
  const out: string[] = [];
  for (let sha = baseOf.get(mainSha); sha && out.length < MAX_EARLIER && !out.includes(sha); sha = baseOf.get(sha)) out.push(sha);
  const reflog = await gitOutcome(repoPath, ['reflog', 'show', '--format=%H', '-n', String(MAX_EARLIER), `refs/heads/${mainBranch}`, '--']);
  if (reflog.code === 0) {
    for (const sha of reflog.stdout.split('\n').map((l) => l.trim())) {
      if (sha && sha !== mainSha && !out.includes(sha)) out.push(sha);
    }
  }
  return out.slice(0, MAX_EARLIER);
}

/**
 * Whether `checkout` (which has main checked out, at `mainSha`) is behind:
 * its index is exactly an earlier main and its tracked files match the
 * index. Untracked files may be there (following main never overwrites them).
 * Returns the earlier main, or null when the checkout is anything else
 * (up to date, or changed by someone: then it is theirs to commit or stash).
 */
export async function behindMain(checkout: string, mainSha: string, earlier: string[]): Promise<string | null> {
  if ((await gitOutcome(checkout, ['diff-index', '--cached', '--quiet', mainSha, '--'])).code === 0) return null;
  // Porcelain diff compares contents where stat data differs, and writes nothing (the doctor only looks).
  if ((await gitOutcome(checkout, ['--no-optional-locks', 'diff', '--quiet', '--no-ext-diff', '--'])).code !== 0) return null;
  for (const sha of earlier) {
    if ((await gitOutcome(checkout, ['diff-index', '--cached', '--quiet', sha, '--'])).code === 0) return sha;
  }
  return null;
}

/**
 * Brings a checkout that is behind main up to date (a two-tree fast-forward
 * of index and files from the earlier main it matches). Returns what it did,
 * or why it could not (git refuses to overwrite an untracked file in the way).
 */
export async function followMain(behind: BehindCheckout): Promise<{ ok: boolean; message: string }> {
  const ff = await fastForwardCheckout(behind.checkout, behind.from, behind.to);
  return ff.code === 0
    ? { ok: true, message: `${behind.checkout} followed main from ${behind.from.slice(0, 10)} to ${behind.to.slice(0, 10)}` }
    : { ok: false, message: `${behind.checkout} is behind main (at ${behind.from.slice(0, 10)}, main is ${behind.to.slice(0, 10)}) and could not follow: ${ff.stderr.trim()}` };
}
