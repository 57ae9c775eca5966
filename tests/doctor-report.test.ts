import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctorReportExtension } from '../src/loop/phases/doctorReport.js';
import type { SessionReport } from '../src/loop/phases/report.js';
import { defaultPhases } from '../src/loop/phases/index.js';
import { runSession } from '../src/loop/session.js';
import { EventLog, LOG_START } from '../src/state/eventLog.js';
import { master } from './helpers/cli.js';
import { makeGateWorkspace } from './helpers/gate.js';

const SCRIPTED = { provider: 'scripted' as const, default: 'scripted-demo', script: 'model-script.json' };

describe("the doctor's grade in every session report", () => {
  it('the report phase carries {grade, passed, total} and logs a doctor.report event', async () => {
    const gw = await makeGateWorkspace({ registry: { models: SCRIPTED } });
    rmSync(path.join(gw.home, 'hooks', 'deny-rules.json'));
    const summary = await runSession(gw.ws, { ci: true, phases: defaultPhases({ reportExtensions: [doctorReportExtension] }), only: 'report', bus: gw.bus });
    const report = summary.results.report!.result as SessionReport;
    // Every check but the one broken here passes (the count grows as checks are added; doctor.test.ts pins the list).
    const total = report.doctor!.total;
    expect(total).toBeGreaterThanOrEqual(20);
    expect(report.doctor).toMatchObject({ grade: 'B', passed: total - 1, total });
    expect(summary.results.report!.summary).toContain(`doctor B ${total - 1}/${total}`);
    const logged = new EventLog(gw.ws.paths.events).readFrom(LOG_START).events.find((e) => e.type === 'doctor.report') as Record<string, unknown> | undefined;
    expect(logged).toMatchObject({ grade: 'B', passed: total - 1, total, failing: ['guards.builtin'] });
    await gw.ws.store.close();
  });

  it('`master start --ci` reports the grade, and `--strict` exits 1 below A', async () => {
    const gw = await makeGateWorkspace({ registry: { models: SCRIPTED } });
    await gw.ws.store.close();
    const ok = master(['start', '--ci', '--strict'], { env: { MASTER_HOME: gw.home } });
    const [, all] = /doctor A (\d+)\/\1/.exec(ok.stdout) ?? [];
    expect(Number(all)).toBeGreaterThanOrEqual(20);
    expect(ok.code).toBe(0);
    rmSync(path.join(gw.home, 'hooks', 'deny-rules.json'));
    const below = master(['start', '--ci', '--strict'], { env: { MASTER_HOME: gw.home } });
    expect(below.stdout, `exit ${below.code}: ${below.stderr}`).toContain(`doctor B ${Number(all) - 1}/${all}`);
    expect(below.code).toBe(1);
  });
});
