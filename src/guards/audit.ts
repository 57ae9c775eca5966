import { createHash } from 'node:crypto';
import type { GuardDecision, ToolCall, ToolContext } from './types.js';
import type { Bus } from '../bus/index.js';
import type { AuditEvent } from '../state/events.js';
import type { Store } from '../state/store.js';

/** A short digest of a tool input: the audit trail says what was decided about, not the content. */
export function inputDigest(input: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(input ?? null))
    .digest('hex')
    .slice(0, 16);
}

/** The `guard.decision` audit event of one decision: what was decided about (digested), by whom, why. */
export function decisionEvent(call: ToolCall, context: ToolContext, decision: GuardDecision, event: 'PreToolUse' | 'PostToolUse' = 'PreToolUse'): AuditEvent {
  return {
    type: 'guard.decision',
    tool: call.name,
    toolUseId: call.id,
    input: inputDigest(call.input),
    guard: decision.guard,
    verdict: decision.verdict,
    reason: decision.reason,
    agent: context.agent,
    session: context.sessionId,
    ...(event === 'PostToolUse' ? { event } : {}),
    ...(context.brand ? { brand: context.brand } : {}),
    ...(context.ticket ? { ticket: context.ticket.id } : {}),
  };
}

/**
 * Records every guard decision as a `guard.decision` event in the event log
 * (the store publishes it on its bus): refusals (deny, ask) at once; allows,
 * the common case, batched into one append on the next turn of the loop, so
 * the chain itself stays well under a millisecond. `allows: 'bus'` keeps
 * allows off the log (for measurements).
 */
export class GuardAudit {
  private pending: AuditEvent[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Store | undefined,
    private readonly bus: Bus | undefined,
    private readonly allows: 'bus' | 'log' = 'log',
  ) {}

  record(call: ToolCall, context: ToolContext, decision: GuardDecision, event: 'PreToolUse' | 'PostToolUse' = 'PreToolUse'): void {
    const payload = decisionEvent(call, context, decision, event);
    if (!this.store || (decision.verdict === 'allow' && this.allows === 'bus')) {
      this.bus?.publish(payload);
      return;
    }
    if (decision.verdict !== 'allow') {
      this.write([payload]);
      return;
    }
    this.pending.push(payload);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Appends the allows still pending to the event log now. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.write(batch);
  }

  private write(batch: AuditEvent[]): void {
    try {
      this.store!.record(...batch);
    } catch (error) {
      // The decisions stand; say that the trail has a gap rather than lose it silently.
      for (const payload of batch) this.bus?.publish(payload);
      this.bus?.publish({ type: 'note', level: 'warn', message: `could not record ${batch.length} guard decisions: ${(error as Error).message}` });
    }
  }
}
