import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { CockpitController } from '../../src/cockpit/controller.js';
import type { CockpitSnapshot } from '../../src/cockpit/model.js';

/**
 * State and actions travel in two contexts (as in gemini-cli): a component
 * that only acts never re-renders when the state changes.
 */
const ActionsContext = createContext<CockpitController | null>(null);

export function CockpitProvider({ controller, children }: { controller: CockpitController; children: ReactNode }) {
  return <ActionsContext.Provider value={controller}>{children}</ActionsContext.Provider>;
}

/** The controller: the loop and the operator's actions. */
export function useCockpitActions(): CockpitController {
  const controller = useContext(ActionsContext);
  if (!controller) throw new Error('useCockpitActions is used outside <CockpitProvider>');
  return controller;
}

/** The current immutable snapshot; re-renders when the model publishes a new one (at most once a frame). */
export function useCockpitState(): CockpitSnapshot {
  const model = useCockpitActions().model;
  return useSyncExternalStore(model.subscribe, model.getSnapshot, model.getSnapshot);
}
