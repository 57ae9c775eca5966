import type { LoggedEvent, StateEvent } from '../state/events.js';
import type { Usage } from '../state/types.js';
import type { GateStepName, GateStepStatus } from '../gate/types.js';
import type { BusEvent } from './index.js';

/** What every event on the bus carries: its order in this process and its time. */
interface Stamped {
  at: string;
  seq: number;
}

/** Events that are published live and never logged (agents streaming, dispatcher notes). */
export type LiveEvent =
  | { type: 'agent.start'; ticket?: string; brand?: string; agent: string; contract: string; model: string; via: string }
  | { type: 'agent.text'; ticket?: string; brand?: string; agent: string; text: string }
  | { type: 'agent.retry'; ticket?: string; brand?: string; agent: string; attempt: number; reason: string; delayMs: number }
  | { type: 'agent.end'; ticket?: string; brand?: string; agent: string; status: string; reason?: string; turns: number; usage?: Usage }
  | { type: 'tool.call'; ticket?: string; brand?: string; agent: string; id: string; tool: string; input: unknown }
  | { type: 'tool.result'; ticket?: string; brand?: string; agent: string; id: string; tool: string; isError: boolean; content: string; ms: number; refusedBy?: string }
  | { type: 'run.end'; ticket: string; brand: string; run: string; outcome: string; reason?: string }
  | { type: 'dispatch.model'; via: string; provider: string }
  | { type: 'dispatch.waiting'; reason: string }
  | { type: 'dispatch.recovered'; ticket: string }
  | { type: 'bus.error'; message: string; failedOn: string };

/** Audit events of the log, each with its own shape (the log types them loosely as `AuditEvent`). */
export type AuditEventTyped =
  | { type: 'gate.step'; ticket: string; repo: string; brand?: string; step: GateStepName; status: GateStepStatus; name?: string; reason?: string; ms?: number; [extra: string]: unknown }
  | { type: 'guard.decision'; tool: string; guard: string; verdict: 'allow' | 'deny' | 'ask'; reason?: string; ticket?: string; brand?: string; [extra: string]: unknown }
  | { type: 'doctor.report'; grade: string; passed: number; total: number; failing: string[]; warnings: string[]; filed?: string[] }
  | { type: 'merge.done'; ticket: string; repo: string; mainSha: string; [extra: string]: unknown }
  | { type: 'note'; message: string; level?: 'info' | 'warn' };

/**
 * One discriminated union for everything on the bus and in the log, so a
 * subscriber (the cockpit) narrows on `type` and never coerces `unknown`.
 */
export type MasterEvent = (StateEvent | AuditEventTyped | LiveEvent) & Stamped;
export type MasterEventType = MasterEvent['type'];
export type EventOf<T extends MasterEventType> = Extract<MasterEvent, { type: T }>;

const KNOWN: ReadonlySet<string> = new Set<MasterEventType>([
  'ticket.created',
  'ticket.transition',
  'ticket.updated',
  'ticket.archived',
  'run.started',
  'session.start',
  'session.end',
  'phase.start',
  'phase.skip',
  'phase.end',
  'question.asked',
  'question.answered',
  'usage.recorded',
  'gate.step',
  'guard.decision',
  'doctor.report',
  'merge.done',
  'note',
  'agent.start',
  'agent.text',
  'agent.retry',
  'agent.end',
  'tool.call',
  'tool.result',
  'run.end',
  'dispatch.model',
  'dispatch.waiting',
  'dispatch.recovered',
  'bus.error',
]);

/** The typed view of a bus event, or null for a type this union does not know (it is ignored, not guessed at). */
export function asMasterEvent(event: BusEvent | LoggedEvent): MasterEvent | null {
  return KNOWN.has(event.type) ? (event as unknown as MasterEvent) : null;
}
