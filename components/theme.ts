import type { TicketState } from '../src/state/types.js';

/** Colours in one place; Ink's chalk turns them off under NO_COLOR. */
export const theme = {
  accent: 'cyan',
  muted: 'gray',
  ok: 'green',
  warn: 'yellow',
  bad: 'red',
  focus: 'cyan',
  key: 'cyan',
} as const;

/** The colour of each ticket state, so a state reads the same everywhere. */
export const stateColor: Record<TicketState, string> = {
  triage: 'magenta',
  ready: 'blue',
  running: 'cyan',
  review: 'yellow',
  merging: 'yellow',
  merged: 'green',
  failed: 'red',
  rejected: 'red',
  blocked: 'magenta',
  cancelled: 'gray',
};
