import type { Workspace } from '../../workspace/open.js';
import { loadCatalog } from '../catalog.js';
import { candidateTickets, gatherCandidates, type CandidateGroup } from './candidates.js';
import { readFindings } from './findings.js';

/** What the cadence reads (no model, no SDK): kept apart from the distillation itself so a skipped phase stays cheap. */

/** Answered approvals of medium findings not acted on yet: distill runs for them on any day. */
export function answeredApprovals(ws: Workspace): number {
  const file = readFindings(ws.paths.data);
  return file.findings.filter((f) => f.status === 'pending' && f.question && ws.store.state.questions[f.question]?.answer !== undefined).length;
}

/** The candidate groups since the last distillation. */
export function pendingCandidates(ws: Workspace): CandidateGroup[] {
  const file = readFindings(ws.paths.data);
  const since = ws.store.state.phases.distill?.at ?? '';
  return gatherCandidates(candidateTickets(ws.store, since), ws.registry, loadCatalog(ws.paths.wiki, ws.paths.data), since, file.notes);
}
