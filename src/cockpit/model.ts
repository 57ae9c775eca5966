import path from 'node:path';
import { asMasterEvent, type MasterEvent } from '../bus/events.js';
import type { Bus } from '../bus/index.js';
import { calendarDay } from '../calendar.js';
import { PHASES, type PhaseName } from '../loop/phase.js';
import type { Question, Ticket, TicketState } from '../state/types.js';
import type { Workspace } from '../workspace/open.js';

export type PhaseStatus = 'waiting' | 'running' | 'done' | 'skipped' | 'failed';

export interface PhaseView {
  name: PhaseName;
  status: PhaseStatus;
  reason?: string;
}

/** The last tool call of a running agent and what became of it. */
export interface ToolView {
  tool: string;
  summary: string;
  verdict: 'running' | 'ok' | 'error' | 'refused';
  by?: string;
}

export interface RunningView {
  ticket: string;
  title: string;
  turn: number;
  maxTurns: number;
  startedAt: string;
  lastTool: ToolView | null;
  /** The tail of the agent's streaming text (a few hundred characters). */
  textTail: string;
}

export interface BrandView {
  id: string;
  name: string;
  silo: boolean;
  running: readonly RunningView[];
  queue: number;
  latest: ReadonlyArray<{ id: string; state: TicketState }>;
}

export interface GateStepView {
  step: string;
  /** A check's name (`test`, `lint`), when the step is a check. */
  name?: string;
  status: 'running' | 'pass' | 'fail' | 'wait' | 'done' | 'moved';
  ms?: number;
  reason?: string;
}

export interface GateRow {
  ticket: string;
  brand: string;
  repo: string;
  candidate?: string;
  steps: readonly GateStepView[];
  /** Merged, rejected or waiting: the row stays a little for the operator to see. */
  finished: 'merged' | 'failed' | 'waiting' | null;
}

export interface TranscriptLine {
  seq: number;
  kind: 'text' | 'tool' | 'result' | 'guard' | 'state' | 'question';
  text: string;
}

/** One immutable picture of everything the cockpit shows; a new object whenever something changed. */
export interface CockpitSnapshot {
  version: number;
  home: string;
  workspace: string;
  sessionId: string | null;
  passRunning: boolean;
  phases: readonly PhaseView[];
  doctor: { grade: string; passed: number; total: number; warnings: readonly string[] } | null;
  /** The OS sandbox (silo layer 4) is missing or degraded. */
  sandboxWarning: boolean;
  today: { tokens: number; costUsd: number };
  /** Brands whose ready agent tickets a budget holds back, with dispatch's reason (from the tickets' holds). */
  budgetHolds: ReadonlyArray<{ brand: string; reason: string }>;
  brands: readonly BrandView[];
  tickets: readonly Ticket[];
  questions: readonly Question[];
  gate: readonly GateRow[];
  notices: readonly string[];
  transcripts: Readonly<Record<string, readonly TranscriptLine[]>>;
  /** Events seen since the cockpit opened (the benchmark checks none is lost). */
  eventsSeen: number;
}

export interface CockpitModelOptions {
  /** At most one snapshot per this many ms: high-rate events are coalesced before React. */
  frameMs?: number;
  maxTurns?: number;
  /** Called with each flush (the benchmark counts frames). */
  onFlush?: () => void;
}

const TRANSCRIPT_LINES = 400;
const TEXT_TAIL = 400;
const NOTICES = 20;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

function oneLine(value: unknown, max = 80): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  const line = (text ?? '').split('\n')[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function toolSummary(input: unknown): string {
  if (!input || typeof input !== 'object') return '';
  const i = input as Record<string, unknown>;
  return oneLine(i.command ?? i.file_path ?? i.pattern ?? i.question ?? i.summary ?? '', 60);
}

/**
 * The cockpit's state outside React: it follows the bus, keeps a working
 * copy, and publishes an immutable snapshot at most once a frame
 * (`subscribe`/`getSnapshot`, for `useSyncExternalStore`). The store's live
 * state is never handed out: tickets are copied when they change.
 */
export class CockpitModel {
  private snapshot: CockpitSnapshot;
  private readonly listeners = new Set<() => void>();
  private readonly frameMs: number;
  private readonly maxTurns: number;
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private unsubscribeBus: (() => void) | null = null;
  // Working copies, turned into the snapshot at each flush.
  private readonly ticketCopies = new Map<string, Ticket>();
  private readonly dirtyTickets = new Set<string>();
  private phases = new Map<PhaseName, PhaseView>();
  private sessionId: string | null = null;
  private passRunning = false;
  private doctor: CockpitSnapshot['doctor'] = null;
  private sandboxWarning = false;
  private readonly running = new Map<string, RunningView>();
  private readonly gate = new Map<string, GateRow>();
  private notices: string[] = [];
  private readonly transcripts = new Map<string, TranscriptLine[]>();
  private readonly transcriptCopies = new Map<string, readonly TranscriptLine[]>();
  private readonly dirtyTranscripts = new Set<string>();
  private eventsSeen = 0;

  constructor(
    private readonly ws: Workspace,
    private readonly options: CockpitModelOptions = {},
  ) {
    this.frameMs = options.frameMs ?? 33;
    this.maxTurns = options.maxTurns ?? 0;
    for (const name of PHASES) this.phases.set(name, { name, status: 'waiting' });
    for (const ticket of Object.values(ws.store.state.tickets)) this.dirtyTickets.add(ticket.id);
    this.snapshot = this.build(0);
  }

  /** Follows a bus; returns the function that stops following it. */
  attach(bus: Bus): () => void {
    this.unsubscribeBus?.();
    const off = bus.subscribe((event) => {
      const typed = asMasterEvent(event);
      if (typed) this.apply(typed);
    });
    this.unsubscribeBus = off;
    return off;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): CockpitSnapshot => this.snapshot;

  /** Whether a pass of the loop runs (set by the controller). */
  setPassRunning(running: boolean): void {
    this.passRunning = running;
    if (running) for (const name of PHASES) this.phases.set(name, { name, status: 'waiting' });
    this.touch();
  }

  /** A message the operator should see (errors of actions, a failing subscriber). */
  notice(message: string): void {
    this.notices = [...this.notices, message].slice(-NOTICES);
    this.touch();
  }

  /** Applies one event to the working copy; the snapshot follows at the next frame. */
  apply(event: MasterEvent): void {
    this.eventsSeen++;
    switch (event.type) {
      case 'ticket.created':
        this.dirtyTickets.add(event.ticket.id);
        this.line(event.ticket.id, event.seq, 'state', `created in ${event.ticket.state}`);
        break;
      case 'ticket.transition':
        this.dirtyTickets.add(event.id);
        this.line(event.id, event.seq, 'state', `${event.from} → ${event.to} (${event.event} by ${event.by})${event.note ? `: ${oneLine(event.note, 200)}` : ''}`);
        if (event.from === 'running') this.running.delete(event.id);
        break;
      case 'ticket.updated':
        this.dirtyTickets.add(event.id);
        break;
      case 'run.started': {
        this.dirtyTickets.add(event.ticket);
        const ticket = this.ws.store.state.tickets[event.ticket];
        this.running.set(event.ticket, {
          ticket: event.ticket,
          title: ticket?.title ?? '',
          turn: 0,
          maxTurns: this.maxTurns,
          startedAt: event.at,
          lastTool: null,
          textTail: '',
        });
        break;
      }
      case 'ticket.archived':
        for (const id of event.ids) {
          this.ticketCopies.delete(id);
          this.dirtyTickets.delete(id);
        }
        break;
      case 'session.start':
        this.sessionId = event.session;
        break;
      case 'phase.start':
        this.setPhase(event.phase, 'running', event.reason);
        break;
      case 'phase.skip':
        this.setPhase(event.phase, 'skipped', event.reason);
        break;
      case 'phase.end':
        this.setPhase(event.phase, event.ok ? 'done' : 'failed', event.reason);
        break;
      case 'question.asked':
        if (event.question.ticket) this.line(event.question.ticket, event.seq, 'question', `asked ${event.question.id}: ${oneLine(event.question.text, 200)}`);
        break;
      case 'doctor.report':
        this.doctor = { grade: event.grade, passed: event.passed, total: event.total, warnings: event.warnings };
        this.sandboxWarning = event.warnings.some((id) => /sandbox|silo/.test(id)) || event.failing.some((id) => /sandbox|silo/.test(id));
        break;
      case 'agent.start':
        if (event.ticket) this.line(event.ticket, event.seq, 'state', `${event.contract} on ${event.via}`);
        break;
      case 'agent.text': {
        const run = event.ticket ? this.running.get(event.ticket) : undefined;
        if (run) this.running.set(run.ticket, { ...run, textTail: (run.textTail + event.text).slice(-TEXT_TAIL) });
        if (event.ticket) this.text(event.ticket, event.seq, event.text);
        break;
      }
      case 'tool.call': {
        const run = event.ticket ? this.running.get(event.ticket) : undefined;
        const summary = toolSummary(event.input);
        if (run) this.running.set(run.ticket, { ...run, turn: run.turn + 1, lastTool: { tool: event.tool, summary, verdict: 'running' } });
        if (event.ticket) this.line(event.ticket, event.seq, 'tool', `${event.tool} ${summary}`.trimEnd());
        break;
      }
      case 'tool.result': {
        const run = event.ticket ? this.running.get(event.ticket) : undefined;
        const verdict: ToolView['verdict'] = event.refusedBy ? 'refused' : event.isError ? 'error' : 'ok';
        if (run?.lastTool) this.running.set(run.ticket, { ...run, lastTool: { ...run.lastTool, verdict, ...(event.refusedBy ? { by: event.refusedBy } : {}) } });
        if (event.ticket) this.line(event.ticket, event.seq, 'result', `${event.tool} ${verdict}${event.refusedBy ? ` by ${event.refusedBy}` : ''}: ${oneLine(event.content, 200)}`);
        break;
      }
      case 'guard.decision':
        if (event.ticket && event.verdict !== 'allow') this.line(event.ticket, event.seq, 'guard', `${event.guard} ${event.verdict} ${event.tool}: ${oneLine(event.reason, 200)}`);
        break;
      case 'run.end':
        this.running.delete(event.ticket);
        this.line(event.ticket, event.seq, 'state', `run ${event.run} ${event.outcome}${event.reason ? `: ${oneLine(event.reason, 200)}` : ''}`);
        break;
      case 'gate.step':
        this.gateStep(event);
        break;
      case 'merge.done': {
        const row = this.gate.get(event.ticket);
        if (row) this.gate.set(event.ticket, { ...row, finished: 'merged' });
        break;
      }
      case 'dispatch.waiting':
        this.notice(`dispatch waits: ${event.reason}`);
        break;
      case 'bus.error':
        this.notice(event.message);
        break;
      case 'note':
        if (event.level === 'warn') this.notice(event.message);
        break;
      default:
        break;
    }
    this.touch();
  }

  /** Publishes the snapshot now (tests; the frame timer does it otherwise). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (!this.dirty) return;
    this.dirty = false;
    this.snapshot = this.build(this.snapshot.version + 1);
    this.options.onFlush?.();
    for (const listener of this.listeners) listener();
  }

  /** Stops following the bus and the frame timer. */
  close(): void {
    this.unsubscribeBus?.();
    this.unsubscribeBus = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private touch(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.frameMs);
  }

  private setPhase(phase: string, status: PhaseStatus, reason?: string): void {
    if (!(PHASES as readonly string[]).includes(phase)) return;
    this.phases.set(phase as PhaseName, { name: phase as PhaseName, status, ...(reason ? { reason } : {}) });
  }

  private gateStep(event: Extract<MasterEvent, { type: 'gate.step' }>): void {
    const ticket = this.ws.store.state.tickets[event.ticket];
    const existing = this.gate.get(event.ticket);
    // A new candidate starts a fresh row of steps.
    const fresh = !existing || (existing.finished !== null && existing.finished !== 'merged') || (event.step === 'candidate' && event.status === 'start');
    const row: GateRow = fresh ? { ticket: event.ticket, brand: event.brand ?? ticket?.brand ?? '', repo: event.repo, steps: [], finished: null } : existing;
    const name = typeof event.name === 'string' ? event.name : undefined;
    // `intent` is the merge logged just before main moves; `drop` a candidate let go because its ticket moved.
    const status: GateStepView['status'] = event.status === 'start' || event.status === 'intent' ? 'running' : event.status === 'drop' ? 'moved' : event.status;
    const view: GateStepView = {
      step: event.step,
      ...(name ? { name } : {}),
      status,
      ...(typeof event.ms === 'number' ? { ms: event.ms } : typeof event.durationMs === 'number' ? { ms: event.durationMs } : {}),
      ...(event.reason ? { reason: oneLine(event.reason, 120) } : {}),
    };
    const index = row.steps.findIndex((s) => s.step === view.step && s.name === view.name);
    const steps = index >= 0 ? row.steps.map((s, i) => (i === index ? view : s)) : [...row.steps, view];
    const candidate = typeof event.candidateSha === 'string' ? event.candidateSha.slice(0, 10) : row.candidate;
    let finished: GateRow['finished'] = null;
    if (row.finished === 'merged' || event.step === 'cleanup' || (event.step === 'merge' && event.status === 'done')) finished = 'merged';
    else if (event.status === 'fail') finished = 'failed';
    else if (event.step === 'queue' && event.status === 'wait') finished = 'waiting';
    this.gate.set(event.ticket, { ...row, steps, finished, ...(candidate ? { candidate } : {}) });
    // Only the latest few finished rows stay on screen.
    const finishedRows = [...this.gate.values()].filter((r) => r.finished !== null);
    for (const old of finishedRows.slice(0, Math.max(0, finishedRows.length - 4))) this.gate.delete(old.ticket);
  }

  private line(ticket: string, seq: number, kind: TranscriptLine['kind'], text: string): void {
    const lines = this.transcripts.get(ticket) ?? [];
    lines.push({ seq, kind, text });
    if (lines.length > TRANSCRIPT_LINES) lines.splice(0, lines.length - TRANSCRIPT_LINES);
    this.transcripts.set(ticket, lines);
    this.dirtyTranscripts.add(ticket);
  }

  /** Streaming text continues the last text line, so the transcript reads as the agent wrote it. */
  private text(ticket: string, seq: number, text: string): void {
    const lines = this.transcripts.get(ticket);
    const last = lines?.at(-1);
    if (last && last.kind === 'text' && !last.text.endsWith('\n')) {
      lines![lines!.length - 1] = { seq: last.seq, kind: 'text', text: (last.text + text).slice(-2000) };
      this.dirtyTranscripts.add(ticket);
    } else this.line(ticket, seq, 'text', text);
  }

  private build(version: number): CockpitSnapshot {
    const state = this.ws.store.state;
    for (const id of this.dirtyTickets) {
      const live = state.tickets[id];
      if (live) this.ticketCopies.set(id, deepFreeze(structuredClone(live)));
      else this.ticketCopies.delete(id);
    }
    this.dirtyTickets.clear();
    for (const id of this.dirtyTranscripts) this.transcriptCopies.set(id, Object.freeze([...(this.transcripts.get(id) ?? [])]));
    this.dirtyTranscripts.clear();
    const tickets = [...this.ticketCopies.values()].sort((a, b) => Number(a.id.slice(2)) - Number(b.id.slice(2)));
    const brands: BrandView[] = this.ws.registry.brands.map((brand) => {
      const own = tickets.filter((t) => t.brand === brand.id);
      return {
        id: brand.id,
        name: brand.name ?? brand.id,
        silo: Boolean(brand.silo),
        running: [...this.running.values()].filter((r) => own.some((t) => t.id === r.ticket)),
        queue: own.filter((t) => t.state === 'ready').length,
        latest: own
          .slice()
          .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
          .slice(0, 3)
          .map((t) => ({ id: t.id, state: t.state })),
      };
    });
    const day = calendarDay(this.ws.store.clock(), this.ws.registry.timezone);
    let tokens = 0;
    let costUsd = 0;
    for (const [key, usage] of Object.entries(state.usage.byBrandDay)) {
      if (!key.endsWith(`/${day}`)) continue;
      tokens += usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
      costUsd += usage.costUsd;
    }
    // The hold is on the ticket (kept across restarts), so the header shows it whether or not dispatch ran in this cockpit.
    const budgetHolds = new Map<string, { brand: string; reason: string; at: string }>();
    for (const ticket of tickets) {
      if (ticket.state !== 'ready' || ticket.hold?.kind !== 'budget' || !ticket.hold.reason) continue;
      const known = budgetHolds.get(ticket.brand);
      if (!known || ticket.hold.at > known.at) budgetHolds.set(ticket.brand, { brand: ticket.brand, reason: ticket.hold.reason, at: ticket.hold.at });
    }
    const questions = Object.values(state.questions)
      .filter((q) => q.answer === undefined)
      .map((q) => deepFreeze({ ...q }));
    return deepFreeze({
      version,
      home: this.ws.paths.home,
      workspace: path.basename(this.ws.paths.home),
      sessionId: this.sessionId,
      passRunning: this.passRunning,
      phases: PHASES.map((name) => this.phases.get(name)!),
      doctor: this.doctor,
      sandboxWarning: this.sandboxWarning,
      today: { tokens, costUsd: Math.round(costUsd * 100) / 100 },
      budgetHolds: [...budgetHolds.values()].map(({ brand, reason }) => ({ brand, reason })),
      brands,
      tickets,
      questions,
      gate: [...this.gate.values()],
      notices: this.notices,
      transcripts: Object.fromEntries(this.transcriptCopies),
      eventsSeen: this.eventsSeen,
    });
  }
}
