import { watch, type FSWatcher } from 'node:fs';
import type { Store } from './store.js';

/**
 * Keeps a store caught up with what other processes append to the event log
 * (`master ticket add` in a second shell): a file-system watch for speed, and
 * a poll because watches miss events on some file systems. New events reach
 * the store's bus through `refresh`. Returns the function that stops it.
 */
export function watchEventLog(store: Store, options: { pollMs?: number; onError?: (message: string) => void } = {}): () => void {
  let pending: NodeJS.Timeout | null = null;
  const refresh = () => {
    pending = null;
    try {
      store.refresh();
    } catch (error) {
      options.onError?.(`could not read the event log: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  // A burst of appends is read once.
  const soon = () => {
    if (!pending) pending = setTimeout(refresh, 20);
  };
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(store.paths.events, { persistent: false }, soon);
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    // no watch support here: the poll alone keeps it within a second
  }
  const poll = setInterval(refresh, options.pollMs ?? 500);
  poll.unref();
  return () => {
    clearInterval(poll);
    if (pending) clearTimeout(pending);
    watcher?.close();
  };
}
