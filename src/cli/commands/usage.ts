import { UserError } from '../../errors.js';
import { formatUsageReport, usageReport } from '../../budget/report.js';
import { openWorkspace } from '../../workspace/open.js';
import { json, out } from '../output.js';

type Home = () => string | undefined;

/** A calendar day written YYYY-MM-DD that exists. */
function isDay(text: string): boolean {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
  return !Number.isNaN(at) && new Date(at).toISOString().slice(0, 10) === text;
}

/** `master usage`: tokens and cost by day, brand and ticket. */
export function usageCommand(home: Home) {
  return async (options: { brand?: string; since?: string; json?: boolean }) => {
    // A day that does not exist (2026-02-31) is as wrong as one in another shape: it would silently mean another day.
    if (options.since !== undefined && !isDay(options.since)) {
      throw new UserError(`--since "${options.since}" is not a day; give it as YYYY-MM-DD, e.g. --since 2026-01-31`);
    }
    const ws = await openWorkspace(home());
    try {
      if (options.brand !== undefined && !ws.registry.brands.some((b) => b.id === options.brand)) {
        const known = ws.registry.brands.map((b) => b.id).join(', ') || '(none)';
        throw new UserError(`--brand "${options.brand}" is not a brand of this workspace; brands: ${known}`);
      }
      const report = usageReport(ws.paths.events, {
        ...(options.since ? { since: options.since } : {}),
        ...(options.brand ? { brand: options.brand } : {}),
      });
      if (options.json) json(report);
      else out(formatUsageReport(report));
    } finally {
      await ws.store.close({ snapshotIfBehind: 200 });
    }
  };
}
