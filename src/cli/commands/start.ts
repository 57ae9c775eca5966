import { UserError } from '../../errors.js';
import { Bus } from '../../bus/index.js';
import { PHASES, type PhaseName } from '../../loop/phase.js';
import { defaultPhases } from '../../loop/phases/index.js';
import { terminalInterviewer } from '../../loop/interviewer.js';
import { buildReport, type ReportExtension, type SessionReport } from '../../loop/phases/report.js';
import type { PhaseContext } from '../../loop/phase.js';
import { formatEventJson, formatEventLine } from '../../loop/reporter.js';
import { sanitizeLine } from '../../sanitize.js';
import { pauseAtTestPoints } from '../../loop/pausePoint.js';
import { runSession } from '../../loop/session.js';
import { openWorkspace } from '../../workspace/open.js';
import { err, out } from '../output.js';

interface StartOptions {
  ci?: boolean;
  json?: boolean;
  plain?: boolean;
  strict?: boolean;
  force: string[];
  only?: string;
}

/** The doctor's grade in the report, loaded only when the report runs. */
const doctorExtension: ReportExtension = async (context, report) => (await import('../../loop/phases/doctorReport.js')).doctorReportExtension(context, report);

function phaseName(value: string, flag: string): PhaseName {
  if (!(PHASES as readonly string[]).includes(value)) {
    throw new UserError(`${flag} ${value}: unknown phase; phases: ${PHASES.join(', ')}`);
  }
  return value as PhaseName;
}

export function startCommand(home: () => string | undefined) {
  return async (options: StartOptions): Promise<number> => {
    const force = options.force.map((f) => phaseName(f, '--force'));
    const only = options.only ? phaseName(options.only, '--only') : undefined;
    // An unreadable registry is bad input like in every other command: exit 2.
    const ws = await openWorkspace(home());
    for (const notice of ws.store.notices) err(`note: ${notice}`);
    // A terminal on both ends opens the cockpit; --ci/--json stay headless, --plain keeps the line output.
    const { canDrawCockpit, runCockpit } = await import('./cockpit.js');
    if (!options.ci && !options.json && !options.plain && canDrawCockpit()) {
      return runCockpit(ws, { reportExtensions: [doctorExtension], ...(only ? { only } : {}), force });
    }
    const bus = new Bus(ws.store.clock);
    bus.subscribe((event) => {
      if (options.json) out(formatEventJson(event));
      else {
        const line = formatEventLine(event);
        // Event lines quote titles, notes and agent text: never sent to the terminal raw.
        if (line) out(sanitizeLine(line));
      }
    });
    pauseAtTestPoints(bus);
    // With a terminal on both ends the interview asks inline; otherwise (cron, CI, pipes) nothing waits.
    const interactive = !options.ci && !options.json && Boolean(process.stdin.isTTY && process.stdout.isTTY);
    const summary = await runSession(ws, {
      ci: !interactive,
      phases: defaultPhases({
        ...(interactive ? { interviewer: terminalInterviewer() } : {}),
        reportExtensions: [doctorExtension],
      }),
      bus,
      force,
      ...(only ? { only } : {}),
      prepare: async (context) => {
        // A git killed with the last session may have left an index.lock that fails every git command in that checkout.
        const { removeStaleRepoIndexLocks } = await import('../../git/indexLock.js');
        const { allRepos, repoPath } = await import('../../registry/load.js');
        const unlocked = await removeStaleRepoIndexLocks(allRepos(context.ws.registry).map(({ repo }) => ({ id: repo.id, path: repoPath(context.ws.paths.home, repo) })));
        if (unlocked.length) bus.publish({ type: 'note', message: `removed stale git locks left by a killed session: ${unlocked.join(', ')}` });
        const archived = context.ws.tickets.archiveOld();
        if (archived.length) bus.publish({ type: 'note', message: `archived ${archived.length} closed tickets` });
        // A session killed after a merge or a cancel left that ticket's worktree and branch: they go now.
        const { keptMessage, sweepClosedTicketWork } = await import('../../gate/sweep.js');
        const swept = await sweepClosedTicketWork(context.ws);
        if (swept.removed.length) bus.publish({ type: 'note', message: `removed the worktrees and branches of closed tickets: ${swept.removed.join(', ')}` });
        if (swept.kept.length) bus.publish({ type: 'note', message: keptMessage(context.ws.paths.home, swept.kept) });
      },
    });
    if (summary.outcome === 'failed') return 1;
    if (options.strict) {
      let report = summary.results.report?.result as SessionReport | undefined;
      if (!report) {
        // `--only` skipped the report phase: --strict still judges the session and the doctor.
        const context: PhaseContext = {
          ws,
          bus,
          sessionId: summary.sessionId,
          startedAt: ws.store.state.sessions.find((s) => s.id === summary.sessionId)?.startedAt ?? '',
          clock: ws.store.clock,
          signal: new AbortController().signal,
          ci: true,
          results: summary.results,
        };
        report = buildReport(context);
        await doctorExtension(context, report);
      }
      if (report.problems.length > 0) return 1;
      if (report.doctor && report.doctor.grade !== 'A') return 1;
    }
    return 0;
  };
}
