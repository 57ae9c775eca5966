import { Store } from '../../state/store.js';
import { loadRegistryFile } from '../../registry/load.js';
import { resolveHome, workspacePaths } from '../../workspace/paths.js';
import { err, out } from '../output.js';

export function repairCommand(home: () => string | undefined) {
  return async (): Promise<void> => {
    const paths = workspacePaths(resolveHome(home()));
    loadRegistryFile(paths.registry);
    const { store, events } = await Store.rebuild(paths);
    for (const notice of store.notices) err(`note: ${notice}`);
    await store.close();
    const tickets = Object.keys(store.state.tickets).length;
    out(`rebuilt ${paths.state} from ${events} events: ${tickets} tickets, sequence ${store.state.seq}`);
  };
}
