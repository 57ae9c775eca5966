import { errorMessage } from '../../errors.js';
import { lastScout } from '../../loop/phases/scout.js';
import { renderBriefings, scoutWorkspace } from '../../scout/index.js';
import { openWorkspace } from '../../workspace/open.js';
import { err, json, out } from '../output.js';

/** `master scout`: scouts every repo now, outside a session, and records it as the scout phase's run. */
export function scoutCommand(home: () => string | undefined) {
  return async (options: { json?: boolean }): Promise<void> => {
    const ws = await openWorkspace(home());
    for (const notice of ws.store.notices) err(`note: ${notice}`);
    try {
      const previous = lastScout(ws.store.state)?.heads;
      ws.store.record({ type: 'phase.start', session: 'cli', phase: 'scout' });
      let result;
      try {
        result = await scoutWorkspace(ws, previous);
      } catch (error) {
        ws.store.record({ type: 'phase.end', session: 'cli', phase: 'scout', ok: false, reason: errorMessage(error) });
        throw error;
      }
      ws.store.record({ type: 'phase.end', session: 'cli', phase: 'scout', ok: true, result });
      if (options.json) json(result);
      else out(renderBriefings(result.briefings, result.summary));
    } finally {
      await ws.store.close({ snapshotIfBehind: 200 });
    }
  };
}
