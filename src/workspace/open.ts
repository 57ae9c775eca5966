import { loadRegistryFile } from '../registry/load.js';
import type { Registry } from '../registry/schema.js';
import { Store, type StoreOptions } from '../state/store.js';
import { Tickets } from '../tickets/index.js';
import { lockWaitMs, resolveHome, workspacePaths, type WorkspacePaths } from './paths.js';

/** A loaded workspace: its paths, validated registry, state store and ticket service. */
export interface Workspace {
  paths: WorkspacePaths;
  registry: Registry;
  store: Store;
  tickets: Tickets;
}

/** Finds the workspace, validates its registry (before anything is written) and opens its state. */
export async function openWorkspace(homeOption: string | undefined, options: StoreOptions = {}): Promise<Workspace> {
  const paths = workspacePaths(resolveHome(homeOption));
  const registry = loadRegistryFile(paths.registry);
  const wait = lockWaitMs();
  const store = await Store.open(paths, { ...(wait !== undefined ? { lockTimeoutMs: wait } : {}), ...options });
  return { paths, registry, store, tickets: new Tickets(store, registry) };
}
