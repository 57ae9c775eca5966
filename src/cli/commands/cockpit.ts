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
export async function runCockpit(
  ws: Workspace,
  options: { reportExtensions: ReportExtension[]; only?: PhaseName; force?: PhaseName[] },
): Promise<number> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  let open: typeof import('../../../components/open.js');
  try {
    open = await import('../../../components/open.js');
  } finally {
    for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
  }
  const { CockpitController } = await import('../../cockpit/controller.js');
  const { resolveContracts } = await import('../../agents/contracts.js');
  const controller = new CockpitController(ws, {
    reportExtensions: options.reportExtensions,
    maxTurns: resolveContracts(ws.registry).executor.maxTurns,
    ...(options.only ? { only: options.only } : {}),
    ...(options.force ? { force: options.force } : {}),
  });
  return open.openCockpit(controller);
}
