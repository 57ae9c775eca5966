import { readFileSync } from 'node:fs';
import { archiveFile } from '../../state/archive.js';
import { notChecked, pass, type CheckGroup, type CheckResult, type DoctorContext } from '../types.js';

function list(items: string[], max = 4): string {
  return items.length > max ? `${items.slice(0, max).join('; ')}; and ${items.length - max} more` : items.join('; ');
}

function ids(items: string[], max = 8): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', ');
}

/** Every archived ticket is in its month's file: the archive is checked against the log, not trusted. */
function archiveCheck(ctx: DoctorContext): CheckResult {
  const title = 'every archived ticket is in the archive';
  const byMonth = new Map<string, string[]>();
  for (const [id, month] of Object.entries(ctx.state.state.archived)) {
    const ids = byMonth.get(month);
    if (ids) ids.push(id);
    else byMonth.set(month, [id]);
  }
  const problems: string[] = [];
  for (const [month, wanted] of byMonth) {
    const file = archiveFile(ctx.paths.archive, month);
    let tickets: Record<string, unknown>;
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as { tickets?: unknown };
      if (!data || typeof data.tickets !== 'object' || data.tickets === null) throw new Error('it has no tickets object');
      tickets = data.tickets as Record<string, unknown>;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      problems.push(`archive/${month}.json is ${code === 'ENOENT' ? 'missing' : `unreadable (${(error as Error).message})`}: ${ids(wanted)} cannot be shown`);
      continue;
    }
    const absent = wanted.filter((id) => !tickets[id]);
    if (absent.length) problems.push(`archive/${month}.json lacks ${ids(absent)}`);
  }
  if (problems.length === 0) {
    const count = Object.keys(ctx.state.state.archived).length;
    return pass('state.archive', title, count ? `${count} archived tickets in ${byMonth.size} month file${byMonth.size === 1 ? '' : 's'}` : 'nothing archived yet');
  }
  return { id: 'state.archive', title, status: 'fail', message: list(problems), fix: '`master repair` rebuilds the archive from the event log' };
}

const CLOSED = new Set(['merged', 'cancelled', 'rejected']);

/** Open tickets of a brand or repo no longer in the registry: nothing would ever run or merge them. */
function registeredCheck(ctx: DoctorContext): CheckResult {
  const title = "every open ticket's brand and repo are in the registry";
  if (!ctx.registry) return notChecked('tickets.registered', title, ctx.registryError);
  const brands = new Map(ctx.registry.brands.map((b) => [b.id, new Set(b.repos.map((r) => r.id))]));
  const stranded = ctx.state.hot
    .summaries()
    .filter((t) => !CLOSED.has(t.state))
    .filter((t) => !brands.get(t.brand)?.has(t.repo))
    .map((t) => `${t.id} (${t.state}) of ${brands.has(t.brand) ? `repo ${t.brand}/${t.repo}` : `brand ${t.brand}`}`);
  if (stranded.length === 0) return pass('tickets.registered', title, 'no ticket is stranded');
  return {
    id: 'tickets.registered',
    title,
    status: 'warn',
    message: `stranded (no longer in registry.json, so never run or merged): ${ids(stranded)}`,
    fix: 'put the brand or repo back in registry.json, or cancel those tickets (`master ticket move ID cancel`)',
  };
}

/** The store's own checks: the archive against the log, and tickets the registry no longer knows. */
export const storeChecks: CheckGroup = (ctx) => [archiveCheck(ctx), registeredCheck(ctx)];
