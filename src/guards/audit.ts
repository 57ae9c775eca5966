import { createHash } from 'node:crypto';
import type { GuardDecision, ToolCall, ToolContext } from '../agents/toolChain.js';
import type { Bus } from '../bus/index.js';
import type { AuditEvent } from '../state/events.js';
import type { Store } from '../state/store.js';

/** A short digest of a tool input: the audit trail says what was decided about, not the content. */
export function inputDigest(input: unknown): string {
  return createHash('sha256').update(JSON.stringify(input ?? null)).digest('hex').slice(0, 16);
}

/**
 * Records guard decisions as `guard.decision` events. Appending to the event
 * log flushes to disk under a lock, so decisions are batched and written on
 * the next turn of the event loop (or `flush()`), keeping the chain itself
 * well under a millisecond; a store publishes what it commits on its bus.
 */
export class GuardAudit {
  private pending: AuditEvent[] = [];
  private scheduled = false;

  constructor(
    private readonly store: Store | undefined,
    private readonly bus: Bus | undefined,
  ) {}

  record(call: ToolCall, context: ToolContext, decision: GuardDecision, event: 'PreToolUse' | 'PostToolUse' = 'PreToolUse'): void {
    const payload: AuditEvent = {
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
    if (!this.store) {
      this.bus?.publish(payload);
      return;
    }
    this.pending.push(payload);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Appends what is pending to the event log now. */
  flush(): void {
    this.scheduled = false;
    if (!this.store || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      this.store.record(...batch);
    } catch (error) {
      // The decisions stand; say that the trail has a gap rather than lose the reason.
      this.bus?.publish({ type: 'note', level: 'warn', message: `could not record ${batch.length} guard decisions: ${(error as Error).message}` });
    }
  }
}
