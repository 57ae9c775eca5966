import type { Phase } from '../phase.js';

/** Dispatch always runs (the queue must drain); ready tickets wait for the executors. */
export const dispatchPhase: Phase = {
  name: 'dispatch',
  shouldRun: () => ({ run: true, reason: 'dispatch: always runs' }),
  async run({ ws }) {
    const ready = Object.values(ws.store.state.tickets).filter((t) => t.state === 'ready').length;
    return { ok: true, summary: ready ? `${ready} ready tickets wait: no executor in this build` : 'nothing ready to dispatch', result: { ready } };
  },
};
