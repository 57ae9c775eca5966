import path from 'node:path';
import { initWorkspace } from '../../workspace/init.js';
import { out } from '../output.js';

export async function initCommand(dir: string | undefined, options: { force?: boolean } = {}): Promise<void> {
  const { paths, hooks } = initWorkspace(path.resolve(dir ?? process.cwd()), { force: options.force ?? false });
  out(`created a workspace in ${paths.home}`);
  out(`  registry.json   add your brands and repos (schema: registry.schema.json)`);
  out(`  hooks/          ${hooks.length} guard hooks installed`);
  out(`  wiki/ .master/  knowledge and state (.master/ is git-ignored)`);
}
