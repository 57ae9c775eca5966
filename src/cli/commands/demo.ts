import path from 'node:path';
import { setUpDemo } from '../../demo/index.js';
import { masterInvocation } from '../invocation.js';
import { out } from '../output.js';

function quoted(dir: string): string {
  return /^[\w./-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, `'\\''`)}'`;
}

/** `master demo [--dir DIR]`: creates what is missing of the demo workspace, and says when nothing was. */
export function demoCommand(home: () => string | undefined) {
  return async (options: { dir?: string }): Promise<void> => {
    const dir = options.dir ?? home();
    const result = await setUpDemo(dir !== undefined ? { dir: path.resolve(dir) } : {});
    const repos = result.reposCreated.length + result.reposKept.length;
    const tickets = result.ticketsCreated.length + result.ticketsKept;
    if (!result.changed) {
      out(`the demo workspace in ${result.home} is already complete (${repos} repos, ${tickets} seeded tickets); nothing changed`);
    } else {
      out(`demo workspace ready in ${result.home}`);
      if (result.registryWritten) out('  registry.json  written: 7 brands, 9 repos (models.provider "scripted": no API key needed)');
      if (result.hooksInstalled.length) out(`  hooks/         ${result.hooksInstalled.length} guard hooks installed`);
      if (result.reposCreated.length) out(`  repos          created ${result.reposCreated.length}: ${result.reposCreated.join(', ')}`);
      if (result.reposKept.length) out(`  repos          kept ${result.reposKept.length} that already existed`);
      if (result.ticketsCreated.length) {
        const ready = result.ticketsCreated.filter((t) => t.state === 'ready').length;
        out(`  tickets        seeded ${result.ticketsCreated.length} (${ready} ready, ${result.ticketsCreated.length - ready} in triage)`);
      }
      if (result.ticketsKept) out(`  tickets        kept ${result.ticketsKept} seeded earlier`);
    }
    const flag = dir !== undefined ? ` --home ${quoted(result.home)}` : '';
    // In a form that runs from here: `master` only when it is on PATH (see the README: `npm link`).
    const m = masterInvocation();
    out(`try: ${m} scout${flag}   ${m} ticket list${flag}   ${m} start --ci${flag}`);
  };
}
