import { Bus } from '../bus/index.js';
import { errorMessage } from '../errors.js';
import type { Interviewer } from '../loop/phases/interview.js';
import type { ReportExtension } from '../loop/phases/report.js';
import type { Phase } from '../loop/phase.js';
import type { SessionSummary } from '../loop/session.js';
import type { SessionPhase } from '../../machines/session.js';
import { answerQuestion } from '../questions/index.js';
import { watchEventLog } from '../state/watch.js';
import type { Ticket, TicketEventName, TicketPatch } from '../state/types.js';
import type { NewTicket } from '../tickets/index.js';
import type { Workspace } from '../workspace/open.js';
import { CockpitModel } from './model.js';

export interface CockpitOptions {
  /** The phases of each pass (default: the session's own, with the cockpit's live interview). */
  phases?: (interviewer: Interviewer) => Phase[];
  reportExtensions?: ReportExtension[];
  /** Start a pass when the cockpit opens (default true). */
  passOnOpen?: boolean;
  /** Start another pass when a ticket becomes ready while none runs (default true). */
  autoPass?: boolean;
  frameMs?: number;
  maxTurns?: number;
  pollMs?: number;
  /** Passed to every pass (`--only`, `--force`). */
  only?: SessionPhase;
  force?: SessionPhase[];
}

/** What an action of the operator came to: done, or the message saying why not. */
export type ActionResult = { ok: true; message: string } | { ok: false; message: string };

/**
 * The cockpit's interview is live (the prompt on screen answers whatever
 * waits, whenever it appears), so the session's interview phase never waits.
 */
const liveInterviewer: Interviewer = {
  async interview(waiting) {
    return { answered: 0, approved: 0, skipped: waiting.questions.length + waiting.approvals.length };
  },
};

/**
 * Runs the session loop behind the cockpit: passes of the session machine,
 * another pass when work becomes ready, the operator's actions (each waits
 * for the write lock without blocking the screen), and a clean stop that
 * puts running tickets back to `ready`.
 */
export class CockpitController {
  readonly bus: Bus;
  readonly model: CockpitModel;
  private pass: Promise<SessionSummary | null> | null = null;
  private abort: AbortController | null = null;
  private stopWatch: (() => void) | null = null;
  private readyWhilePass = false;
  private closed = false;

  constructor(
    readonly ws: Workspace,
    private readonly options: CockpitOptions = {},
  ) {
    this.bus = new Bus(ws.store.clock);
    ws.store.attachBus(this.bus);
    this.model = new CockpitModel(ws, {
      ...(options.frameMs !== undefined ? { frameMs: options.frameMs } : {}),
      ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
    });
    // A subscriber that throws is shown on screen and kept in the log.
    this.bus.onSubscriberError = (message) => {
      try {
        ws.store.record({ type: 'note', level: 'warn', message });
      } catch {
        // the log cannot take it: the screen still shows it
      }
    };
  }

  /** Follows the bus and the event log, and starts the first pass. */
  open(): void {
    this.model.attach(this.bus);
    this.bus.subscribe((event) => {
      if (event.type !== 'ticket.transition' || event.to !== 'ready') return;
      if (this.pass) this.readyWhilePass = true;
      else if (this.options.autoPass !== false) this.startPass();
    });
    this.stopWatch = watchEventLog(this.ws.store, {
      ...(this.options.pollMs ? { pollMs: this.options.pollMs } : {}),
      onError: (message) => this.model.notice(message),
    });
    if (this.options.passOnOpen !== false) this.startPass();
  }

  get passRunning(): boolean {
    return this.pass !== null;
  }

  /** Tickets this cockpit's pass is running now. */
  runningTickets(): Ticket[] {
    if (!this.pass) return [];
    return Object.values(this.ws.store.state.tickets).filter((t) => t.state === 'running' && t.runs.at(-1)?.owner.pid === process.pid);
  }

  /** Starts a pass of the loop unless one runs; false when one already runs. */
  startPass(): boolean {
    if (this.pass || this.closed) return false;
    const abort = new AbortController();
    this.abort = abort;
    this.readyWhilePass = false;
    this.model.setPassRunning(true);
    const pass: Promise<SessionSummary | null> = (async () => {
      // The loop's modules load with the first pass, after the first frame is on screen.
      const [{ runSession }, { defaultPhases }] = await Promise.all([import('../loop/session.js'), import('../loop/phases/index.js')]);
      const phases = this.options.phases ? this.options.phases(liveInterviewer) : defaultPhases({ interviewer: liveInterviewer, reportExtensions: this.options.reportExtensions ?? [] });
      return runSession(this.ws, {
        ci: false,
        phases,
        bus: this.bus,
        signal: abort.signal,
        ...(this.options.only ? { only: this.options.only } : {}),
        ...(this.options.force ? { force: this.options.force } : {}),
      });
    })()
      .catch((error: unknown) => {
        this.model.notice(`the session could not run: ${errorMessage(error)}`);
        return null;
      })
      .finally(() => {
        this.pass = null;
        this.abort = null;
        this.model.setPassRunning(false);
        // Work that became ready after dispatch had finished gets its own pass.
        if (this.readyWhilePass && !this.closed && !abort.signal.aborted && this.options.autoPass !== false) {
          const ready = Object.values(this.ws.store.state.tickets).some((t) => t.state === 'ready');
          if (ready) this.startPass();
        }
      });
    this.pass = pass;
    return true;
  }

  /** Resolves when the current pass (if any) has ended. */
  async idle(): Promise<void> {
    while (this.pass) await this.pass;
  }

  /** Sends an operator event to a ticket, as the ticket machine allows. */
  act(id: string, event: TicketEventName, note?: string): Promise<ActionResult> {
    return this.run(() => {
      const ticket = this.ws.tickets.transition(id, event, { by: 'operator', ...(note ? { note } : {}) });
      return `${ticket.id} ${event}: now ${ticket.state}`;
    });
  }

  /** Answers a question; a ticket its agent's question blocked goes back to ready (and is dispatched again). */
  answer(questionId: string, text: string): Promise<ActionResult> {
    return this.run(() => {
      const question = answerQuestion(this.ws, questionId, text);
      return `${question.id} answered`;
    });
  }

  create(input: NewTicket): Promise<ActionResult> {
    return this.run(() => `${this.ws.tickets.create(input).id} created in triage`);
  }

  edit(id: string, patch: Pick<TicketPatch, 'title' | 'body' | 'acceptance' | 'priority'>): Promise<ActionResult> {
    return this.run(() => `${this.ws.tickets.update(id, () => patch).id} edited`);
  }

  /**
   * Stops the loop: running tickets go back to `ready` (`requeue`, worktrees
   * kept), the pass records `session.end` and releases the lock; then the
   * watchers stop.
   */
  async quit(reason = 'stopped: the operator quit the cockpit'): Promise<void> {
    this.closed = true;
    this.abort?.abort(reason);
    await this.idle();
    this.stopWatch?.();
    this.stopWatch = null;
    this.model.flush();
    this.model.close();
    await this.ws.store.close();
  }

  private async run(change: () => string): Promise<ActionResult> {
    try {
      // Wait for the write lock here, asynchronously: the commit then never spins on the UI's thread.
      await this.ws.store.writable();
      const message = change();
      return { ok: true, message };
    } catch (error) {
      const message = errorMessage(error);
      this.model.notice(message);
      return { ok: false, message };
    }
  }
}
