import { anythingMoved, scoutWorkspace, type Heads, type ScoutResult } from '../../scout/index.js';
import type { State } from '../../state/types.js';
import { humanTime } from '../../calendar.js';
import type { Phase } from '../phase.js';

/** The last completed scout's snapshot of heads and when it was taken, or null before the first scout. */
export function lastScout(state: State): { heads: Heads; at: string } | null {
  const record = state.phases.scout;
  const heads = (record?.result as Partial<ScoutResult> | undefined)?.heads;
  if (!record || !heads || typeof heads !== 'object') return null;
  return { heads, at: record.at };
}

function names(ids: string[], max = 4): string {
  return ids.length > max ? `${ids.slice(0, max).join(', ')} and ${ids.length - max} more` : ids.join(', ');
}

/** Scout: runs on the first run ever, or when a tracked main branch moved (read from ref files, no git process). */
export const scoutPhase: Phase = {
  name: 'scout',

  async shouldRun({ ws, clock }) {
    const previous = lastScout(ws.store.state);
    if (!previous) return { run: true, reason: 'scout: first run in this workspace' };
    const check = await anythingMoved(ws, previous.heads);
    const since = humanTime(new Date(previous.at), clock(), ws.registry.timezone);
    if (check.moved.length > 0) {
      const count = check.moved.length === 1 ? '1 tracked repo moved' : `${check.moved.length} tracked repos moved`;
      return { run: true, reason: `scout: ${count} since ${since} (${names(check.moved)})` };
    }
    if (check.broke.length > 0) {
      return { run: true, reason: `scout: ${names(check.broke)} cannot be read since ${since}` };
    }
    const readable = check.tracked - check.errors.length;
    const unreadable = check.errors.length ? `; ${check.errors.length} cannot be read (${names(check.errors.map((e) => e.repo))})` : '';
    return {
      run: false,
      reason: `skip scout: no new commits in ${readable} tracked repo${readable === 1 ? '' : 's'} since ${since}${unreadable}`,
    };
  },

  async run({ ws }) {
    const result = await scoutWorkspace(ws, lastScout(ws.store.state)?.heads);
    return { ok: true, summary: result.summary, result };
  },
};
