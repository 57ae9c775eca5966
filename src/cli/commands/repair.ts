import { loadRegistryFile } from '../../registry/load.js';
import { repairWorkspace } from '../../state/repair.js';
import { resolveHome, workspacePaths } from '../../workspace/paths.js';
import { sanitize } from '../../sanitize.js';
import { err, out } from '../output.js';

export function repairCommand(home: () => string | undefined) {
  return async (): Promise<void> => {
    const paths = workspacePaths(resolveHome(home()));
    loadRegistryFile(paths.registry);
    const report = await repairWorkspace(paths);
    for (const notice of report.notices) err(`note: ${sanitize(notice)}`);
    out(`rebuilt ${paths.state} from ${report.events} events: ${report.tickets} tickets, sequence ${report.seq}`);
    out(`rebuilt the archive from the log: ${report.archive.tickets} tickets in ${report.archive.months} month file${report.archive.months === 1 ? '' : 's'}`);
    if (report.skipped.length === 0) out('skipped nothing: every line of the log is an event in sequence');
    else {
      out(`skipped ${report.skipped.length} thing${report.skipped.length === 1 ? '' : 's'} (copies of damaged lines are in ${paths.quarantine}):`);
      for (const line of report.skipped) out(`  - ${sanitize(line)}`);
      if (report.recorded > 0) out(`recorded ${report.recorded} of them in the log as accounted for: the doctor no longer holds merges for them`);
    }
    if (report.raised.length) out(`kept ids handed out before (from the old snapshot or the archive): ${report.raised.join(', ')}`);
  };
}
