import type { ReportExtension } from '../../loop/phases/report.js';
import type { PhaseName } from '../../loop/phase.js';
import type { Workspace } from '../../workspace/open.js';

/** Whether this process can draw the cockpit: a terminal on both ends. */
export function canDrawCockpit(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
}

/**
 * Opens the full-screen cockpit on a workspace. Ink and React load here,
 * never for the other commands. Ink treats a `CI` variable as "no terminal"
 * and would not draw; here the terminal is real (only `--ci` means headless),
 * so Ink is loaded with it unset and it is put back for the agents' commands.
 */
export async function runCockpit(ws: Workspace, options: { reportExtensions: ReportExtension[]; only?: PhaseName; force?: PhaseName[] }): Promise<number> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  let open: typeof import('../../../components/open.js');
  const others = Promise.all([import('../../cockpit/controller.js'), import('../../agents/contracts.js')]);
  try {
    open = await import('../../../components/open.js');
  } finally {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
  }
  const [{ CockpitController }, { resolveContracts }] = await others;
  const controller = new CockpitController(ws, {
    reportExtensions: options.reportExtensions,
    maxTurns: resolveContracts(ws.registry).executor.maxTurns,
    ...(options.only ? { only: options.only } : {}),
    ...(options.force ? { force: options.force } : {}),
  });
  return open.openCockpit(controller);
}

/** The doctor's grade in each pass's report, loaded only when the report runs. */
export const doctorExtension: ReportExtension = async (context, report) => (await import('../../loop/phases/doctorReport.js')).doctorReportExtension(context, report);

/**
 * `master` alone on a terminal: the cockpit on the workspace, without
 * loading the headless session's modules first (the first frame comes sooner).
 */
export function cockpitCommand(home: () => string | undefined) {
  return async (): Promise<number> => {
    const { openWorkspace } = await import('../../workspace/open.js');
    const { UserError } = await import('../../errors.js');
    let ws: Workspace;
    try {
      ws = await openWorkspace(home());
    } catch (error) {
      // As `master start`: an unreadable registry is a loop that cannot run.
      if (error instanceof UserError && error.exitCode === 2) {
        process.stderr.write(`master: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    for (const notice of ws.store.notices) process.stderr.write(`note: ${notice}\n`);
    return runCockpit(ws, { reportExtensions: [doctorExtension] });
  };
}
