import { branchSha } from '../git/gate.js';
import type { GitRepo } from '../git/repo.js';
import type { Repo } from '../registry/schema.js';
import type { CheckEvidence, Ticket } from '../state/types.js';
import type { Workspace } from '../workspace/open.js';

/**
 * A ticket the gate cannot finish (the verifier fails to reach a verdict)
 * on the same candidate twice in a row is not verified again every session:
 * with a paid model each attempt costs money and nothing would change. It
 * waits until main or its branch gets new commits, or the operator asks for
 * another try (`master ticket recheck`).
 */
const STALLS_BEFORE_HOLD = 2;

/** Records that the gate could not finish on these commits (counting repeats on the same ones). */
export function recordGateStall(ws: Workspace, ticketId: string, stall: { reason: string; mainSha: string; branchSha: string; checks?: CheckEvidence[] }): void {
  ws.tickets.update(ticketId, (ticket) => {
    const previous = ticket.hold?.kind === 'gate' && ticket.hold.mainSha === stall.mainSha && ticket.hold.branchSha === stall.branchSha ? (ticket.hold.failures ?? 1) : 0;
    return {
      hold: { kind: 'gate', reason: stall.reason, at: ws.store.now(), mainSha: stall.mainSha, branchSha: stall.branchSha, failures: previous + 1, ...(stall.checks ? { checks: stall.checks } : {}) },
    };
  });
}

/** Why the gate must not verify the ticket again now, or null (nothing held, or main or its branch moved). */
export async function gateHoldReason(git: GitRepo, repo: Repo, ticket: Ticket, branch: string): Promise<string | null> {
  const hold = ticket.hold;
  if (hold?.kind !== 'gate' || (hold.failures ?? 1) < STALLS_BEFORE_HOLD) return null;
  const [main, tip] = await Promise.all([git.head(), branchSha(git, branch)]);
  if (main !== hold.mainSha || tip !== hold.branchSha) return null;
  return `${ticket.id} waits in review: the gate failed ${hold.failures} times on the same commits (${hold.reason}); it is not verified again until ${repo.mainBranch} or ${branch} gets new commits, or the operator runs \`master ticket recheck ${ticket.id}\``;
}
