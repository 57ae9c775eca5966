import type { PhaseContext } from '../loop/phase.js';
import type { SessionReport } from '../loop/phases/report.js';
import { runDoctor } from './index.js';

/** The report phase's extension: every session report carries the doctor's grade (and the log a `doctor.report`). */
export async function doctorReportExtension(context: PhaseContext, report: SessionReport): Promise<void> {
  const { ws } = context;
  const result = await runDoctor({ paths: ws.paths, registry: ws.registry, store: ws.store, tickets: ws.tickets }, { file: true });
  report.doctor = { grade: result.grade, passed: result.passed, total: result.total };
  ws.store.record({
    type: 'doctor.report',
    grade: result.grade,
    passed: result.passed,
    total: result.total,
    failing: result.checks.filter((c) => c.status === 'fail').map((c) => c.id),
    warnings: result.checks.filter((c) => c.status === 'warn').map((c) => c.id),
    ...(result.filed.length ? { filed: result.filed } : {}),
  });
}
