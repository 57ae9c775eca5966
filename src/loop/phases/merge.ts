import type { Phase } from '../phase.js';

/** Merge runs when a ticket is in review. */
export const mergePhase: Phase = {
  name: 'merge',
  shouldRun({ ws }) {
    const review = Object.values(ws.store.state.tickets).filter((t) => t.state === 'review').length;
    return review
      ? { run: false, reason: `skip merge: ${review} ticket${review === 1 ? '' : 's'} in review, but this build has no merge gate` }
      : { run: false, reason: 'skip merge: no ticket in review' };
  },
  async run() {
    return { ok: true, summary: 'nothing merged' };
  },
};
