import { ExitCode } from '../../errors.js';
import { reportJson, runDoctor, type DoctorReport } from '../../doctor/index.js';
import { resolveHome, workspacePaths } from '../../workspace/paths.js';
import { sanitize } from '../../sanitize.js';
import { json, out } from '../output.js';

const MARK = { pass: '✓', warn: '!', fail: '✗' } as const;

/** The report for a person: the grade line first, then every check, fixes under the ones that need them. */
export function formatDoctorReport(report: DoctorReport): string {
  const warnings = report.checks.filter((c) => c.status === 'warn').length;
  const lines = [`doctor: ${report.grade} ${report.passed}/${report.total}${warnings ? ` (${warnings} warning${warnings === 1 ? '' : 's'})` : ''}`];
  for (const done of report.fixed) lines.push(`  fixed: ${done}`);
  for (const check of report.checks) {
    lines.push(`  ${MARK[check.status]} ${check.id.padEnd(20)} ${check.title}: ${check.message}`);
    if (check.status !== 'pass' && check.fix) lines.push(`    fix: ${check.fix}`);
  }
  if (report.filed.length) lines.push(`filed housekeeping ticket${report.filed.length === 1 ? '' : 's'}: ${report.filed.join(', ')}`);
  // Messages quote ticket titles and log lines: nothing of them reaches the terminal raw.
  return sanitize(lines.join('\n'));
}

export function doctorCommand(home: () => string | undefined) {
  return async (options: { json?: boolean; fix?: boolean; full?: boolean }): Promise<number> => {
    const paths = workspacePaths(resolveHome(home()));
    const report = await runDoctor({ paths }, { file: true, fix: options.fix ?? false, full: options.full ?? false });
    if (options.json) json(reportJson(report));
    else out(formatDoctorReport(report));
    return report.grade === 'A' ? ExitCode.ok : ExitCode.failed;
  };
}
