import { runDoctor } from '../../doctor/index.js';
import type { PhaseContext } from '../phase.js';
import type { SessionReport } from './report.js';

/** The report phase's extension: every session report carries the doctor's grade (and the log a `doctor.report`). */
export async function doctorReportExtension(context: PhaseContext, report: SessionReport): Promise<void> {
  const { ws } = context;
  const result = await runDoctor({ paths: ws.paths, registry: ws.registry, store: ws.store, tickets: ws.tickets }, { file: true });
  const warnings = result.checks.filter((c) => c.status === 'warn');
  report.doctor = {
    grade: result.grade,
    passed: result.passed,
    total: result.total,
    // What needs an eye even at grade A: a silo whose OS sandbox is missing is named here.
    warnings: warnings.map((c) => `${c.id}: ${c.message}`),
  };
  ws.store.record({
    type: 'doctor.report',
    grade: result.grade,
    passed: result.passed,
    total: result.total,
    failing: result.checks.filter((c) => c.status === 'fail').map((c) => c.id),
    warnings: warnings.map((c) => c.id),
    ...(result.filed.length ? { filed: result.filed } : {}),
  });
}
