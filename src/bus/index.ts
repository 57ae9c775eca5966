/**
 * The one event bus: every event has a dotted `type`, an `at` timestamp and a
 * `seq` (this process's order). The store publishes what it commits; phases,
 * agents, guards and the gate publish what they report. The event log, the
 * cockpit and the headless reporter subscribe.
 */
export interface BusEvent {
  type: string;
  at: string;
  seq: number;
  [key: string]: unknown;
}

export type BusPayload = { type: string; at?: string; [key: string]: unknown };
export type BusListener = (event: BusEvent) => void;

export class Bus {
  private readonly listeners = new Set<BusListener>();
  private counter = 0;
  private reporting = false;

  /** Where a throwing subscriber is reported besides the bus itself (the event log keeps it). */
  onSubscriberError: ((message: string) => void) | null = null;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  /** Subscribes; returns the function that unsubscribes. */
  subscribe(listener: BusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Publishes an event; `seq` is assigned here, `at` kept if the payload has one. */
  publish(payload: BusPayload): BusEvent {
    const { seq: logSeq, ...rest } = payload as BusPayload & { seq?: number };
    const event: BusEvent = {
      ...rest,
      at: payload.at ?? this.clock().toISOString(),
      seq: ++this.counter,
      ...(typeof logSeq === 'number' ? { logSeq } : {}),
    };
    const failures: string[] = [];
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A failing subscriber must not break the publisher or the other subscribers, but it is reported, not swallowed.
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    if (failures.length && event.type !== 'bus.error') {
      for (const message of failures) {
        this.publish({ type: 'bus.error', message: `a subscriber failed on ${event.type}: ${message}`, failedOn: event.type });
        // The report (a log line) is published too: a subscriber failing on it again is not reported again.
        if (this.reporting) continue;
        this.reporting = true;
        try {
          this.onSubscriberError?.(`a subscriber failed on ${event.type}: ${message}`);
        } catch {
          // the reporter itself failed: the bus.error event above already carries it
        } finally {
          this.reporting = false;
        }
      }
    }
    return event;
  }
}
