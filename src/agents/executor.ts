import { hostname } from 'node:os';
import path from 'node:path';
import type { MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages/messages.js';
import type { Bus } from '../bus/index.js';
import { errorMessage } from '../errors.js';
import { GitRepo } from '../git/repo.js';
import { freshWorktree, worktreeState, worktreeStatus } from '../git/ticketWorktree.js';
import { findBrand, findRepo, repoPath } from '../registry/load.js';
import type { ContractName } from '../registry/schema.js';
import { addUsage, zeroUsage, type Question, type Ticket, type TicketEventName, type TicketRun, type Usage } from '../state/types.js';
import { TransitionError } from '../tickets/index.js';
import type { Workspace } from '../workspace/open.js';
import type { AgentContract } from './contracts.js';
import type { ModelEndpoint } from './model.js';
import type { RetryPolicy } from './modelCall.js';
import { executorSystemPrompt, ticketPrompt } from './prompt.js';
import { askOperator, isAffirmative } from '../questions/index.js';
import { resumeMessages, runAgent } from './runtime.js';
import type { ToolChain, ToolContext } from '../guards/types.js';
import { runToolCall } from './toolRunner.js';
import type { RunControl, ToolDefinition } from './tools/index.js';
import { readConversation, Transcript, transcriptPath, type SavedConversation } from './transcript.js';
import { recordUsage } from './usage.js';
import type { BudgetBook } from '../budget/index.js';
import { executorFor } from './claudeCode/select.js';
import type { ClaudeCodeRunResult } from './claudeCode/run.js';
import { CLAUDE_CODE_NOTE } from './runContract.js';

/** What running tickets needs: the workspace, where events go, the contracts, the chain and the model. */
export interface ExecutorDeps {
  ws: Workspace;
  bus: Bus;
  sessionId: string;
  contracts: Record<ContractName, AgentContract>;
  chain: ToolChain;
  /** Null when no model is configured: agent tickets are not started. */
  model: ModelEndpoint | null;
  retry?: RetryPolicy;
  signal: AbortSignal;
  /** The budgets of the registry: a run is stopped at the next turn when it crosses one. */
  budget?: BudgetBook;
  /** The operator's `claude`, for contracts whose executor is Claude Code (null: such tickets are not started). */
  claudePath?: string | null;
  env?: NodeJS.ProcessEnv;
}

export type RunOutcomeKind = 'submitted' | 'failed' | 'blocked' | 'requeued' | 'skipped';

export interface TicketRunOutcome {
  ticket: string;
  brand: string;
  outcome: RunOutcomeKind;
  reason?: string;
  run?: string;
  /** The model rejected the key: the dispatcher stops starting agent tickets. */
  rejectedKey?: boolean;
  usage?: Usage;
  /** Milliseconds spent inside the ticket's commands (script tickets), for overhead measurements. */
  commandMs: number;
  totalMs: number;
}

/** Runs this process owns right now; recovery treats any other run of a live pid as someone else's. */
export const activeRuns = new Set<string>();

export function ticketBranch(ticketId: string): string {
  return `master/${ticketId}`;
}

export function ticketWorktreePath(worktreesDir: string, repoId: string, ticketId: string): string {
  return path.join(worktreesDir, repoId, ticketId);
}

const SCRIPT_TIMEOUT_CAP_MS = 600_000;

function tail(text: string, max = 1200): string {
  return text.length > max ? `…${text.slice(-max)}` : text;
}

/** Whether a run was interrupted (requeued by a 401, a cancel, crash recovery) rather than settled. */
function interrupted(run: TicketRun): boolean {
  return run.outcome === undefined || run.outcome === 'requeued';
}

/** The latest run that settled (submitted, failed, blocked), skipping interrupted ones. */
function lastSettledRun(runs: readonly TicketRun[]): TicketRun | undefined {
  for (let i = runs.length - 1; i >= 0; i--) if (!interrupted(runs[i]!)) return runs[i];
  return undefined;
}

/**
 * The run an agent ticket continues from: the latest settled run, when it
 * stopped for a question (its follow-ups, if any, were interrupted before
 * they completed) and its transcript holds the pending turn.
 */
function runToResume(ws: Workspace, runs: readonly TicketRun[]): { run: TicketRun; conversation: SavedConversation } | null {
  const run = lastSettledRun(runs);
  if (run?.outcome !== 'blocked' || !run.baseSha) return null;
  // A follow-up that started afresh from another main (its worktree was gone) made a different worktree.
  if (runs.slice(runs.indexOf(run) + 1).some((r) => r.baseSha !== undefined && r.baseSha !== run.baseSha)) return null;
  const conversation = readConversation(path.resolve(ws.paths.home, run.transcript));
  return conversation?.pending ? { run, conversation } : null;
}

/** The ticket's questions the operator answered (agent questions and guard asks), oldest first. */
function answeredQuestions(questions: Record<string, Question>, ticketId: string): Question[] {
  return Object.values(questions)
    .filter((q) => q.ticket === ticketId && q.kind !== 'approval' && q.answer !== undefined)
    .sort((a, b) => a.askedAt.localeCompare(b.askedAt) || Number(a.id.slice(2)) - Number(b.id.slice(2)));
}

/**
 * Runs one ready ticket to its next state: claims it (`dispatch`), prepares
 * its worktree on `master/T-n` from the current main (or keeps it to resume
 * after a question), runs the agent or the script through the tool chain,
 * then commits the changes and submits it for review, or fails, blocks or
 * requeues it with the reason. Never throws.
 */
export async function runTicket(deps: ExecutorDeps, ticketId: string): Promise<TicketRunOutcome> {
  const started = Date.now();
  const { ws } = deps;
  const ticket = ws.tickets.get(ticketId);
  const base = { ticket: ticket.id, brand: ticket.brand, commandMs: 0 };
  let repoConfig;
  try {
    repoConfig = findRepo(findBrand(ws.registry, ticket.brand), ticket.repo);
  } catch (error) {
    return { ...base, outcome: 'skipped', reason: errorMessage(error), totalMs: Date.now() - started };
  }
  const worktree = ticketWorktreePath(ws.paths.worktrees, repoConfig.id, ticket.id);
  const branch = ticketBranch(ticket.id);
  const runId = ws.store.commit((state) => {
    const id = `R-${state.counters.run + 1}`;
    return { events: [{ type: 'run.started', ticket: ticket.id, run: id }], result: id };
  });
  const transcriptFile = transcriptPath(ws.paths.transcripts, ticket.id, runId);
  const run: TicketRun = {
    id: runId,
    startedAt: ws.store.now(),
    worktree,
    branch,
    owner: { pid: process.pid, host: hostname() },
    usage: zeroUsage(),
    transcript: path.relative(ws.paths.home, transcriptFile),
  };
  try {
    ws.tickets.transition(ticket.id, 'dispatch', { by: 'dispatcher', patch: { runs: [...ticket.runs, run], ...(ticket.hold ? { hold: null } : {}) } });
  } catch (error) {
    if (error instanceof TransitionError) return { ...base, outcome: 'skipped', reason: error.message, totalMs: Date.now() - started };
    throw error;
  }
  activeRuns.add(runId);
  let transcript: Transcript | null = null;
  let mcpTools: { schemas: Tool[]; definitions: Map<string, ToolDefinition<Record<string, unknown>>>; close(): Promise<void> } | null = null;
  // What the run knew when something threw: kept on its record.
  let runBaseSha: string | undefined;
  let runUsage = zeroUsage();
  let runBudget: ReturnType<BudgetBook['open']> | null = null;
  const settle = (event: TicketEventName, outcome: RunOutcomeKind, changes: Partial<TicketRun>, note?: string, extra: Partial<TicketRunOutcome> = {}): TicketRunOutcome => {
    const patchRuns = (current: Ticket) => current.runs.map((r) => (r.id === runId ? { ...r, endedAt: ws.store.now(), ...changes } : r));
    try {
      ws.tickets.transition(ticket.id, event, { by: 'dispatcher', ...(note ? { note } : {}), patch: { runs: patchRuns(ws.tickets.get(ticket.id)) } });
    } catch (error) {
      // The operator moved the ticket meanwhile (e.g. cancelled it): keep the run's record, not the move.
      if (!(error instanceof TransitionError)) throw error;
      ws.tickets.update(ticket.id, (current) => ({ runs: patchRuns(current) }));
      outcome = 'skipped';
    }
    const reason = changes.reason ?? note;
    deps.bus.publish({ type: 'run.end', ticket: ticket.id, brand: ticket.brand, run: runId, outcome, ...(reason ? { reason } : {}) });
    return { ...base, ...extra, run: runId, outcome, ...(reason ? { reason } : {}), totalMs: Date.now() - started };
  };

  try {
    transcript = new Transcript(transcriptFile);
    const repo = await GitRepo.open(repoPath(ws.paths.home, repoConfig), { id: repoConfig.id, mainBranch: repoConfig.mainBranch });
    // A run stopped for a question continues in the same worktree with the answer, even when a
    // follow-up run was interrupted meanwhile (a 401, a cancel, a crash): the answer is never lost.
    let resumeFrom: { run: TicketRun; conversation: SavedConversation } | null = null;
    // A run stopped by a budget left its work in the worktree: the next one continues there, not from main.
    let continueFrom: TicketRun | null = null;
    let baseSha: string;
    // A Claude Code session stopped for a question resumes in Claude Code with the answer.
    let sessionFrom: TicketRun | null = null;
    if (ticket.kind !== 'script' && (await worktreeState(repo, worktree)).present) {
      resumeFrom = runToResume(ws, ticket.runs);
      const last = ticket.runs.filter((r) => r.id !== runId).at(-1);
      if (!resumeFrom && last?.stoppedBy === 'budget' && last.baseSha) continueFrom = last;
      const settled = lastSettledRun(ticket.runs);
      if (!resumeFrom && settled?.outcome === 'blocked' && settled.session && settled.baseSha) sessionFrom = settled;
    }
    if (resumeFrom) {
      baseSha = resumeFrom.run.baseSha!;
    } else if (sessionFrom) {
      baseSha = sessionFrom.baseSha!;
    } else if (continueFrom) {
      baseSha = continueFrom.baseSha!;
    } else {
      baseSha = await repo.head();
      await freshWorktree(repo, worktree, branch, baseSha);
    }
    runBaseSha = baseSha;
    const resume = resumeFrom?.conversation ?? null;
    const context: ToolContext = {
      paths: ws.paths,
      registry: ws.registry,
      root: worktree,
      cwd: worktree,
      brand: ticket.brand,
      repo: repoConfig.id,
      ticket: ws.tickets.get(ticket.id),
      agent: ticket.kind === 'script' ? 'script' : ticket.kind === 'housekeeping' ? 'housekeeper' : 'executor',
      sessionId: deps.sessionId,
      transcriptPath: transcriptFile,
      signal: deps.signal,
    };
    const labels = { ticket: ticket.id, run: runId, brand: ticket.brand };
    const submit = async (summary: string, usage: Usage, commandMs: number): Promise<TicketRunOutcome> => {
      const status = await worktreeStatus(repo, worktree);
      const head = status.dirty > 0 ? await repo.commitAll(`${ticket.id}: ${ticket.title}`, ws.registry.git.author, { cwd: worktree }) : status.head;
      if (head === baseSha) {
        return settle('fail', 'failed', { outcome: 'failed', baseSha, usage, reason: 'the run changed nothing: no file differs from main, so there is nothing to review' }, undefined, { commandMs });
      }
      return settle('submit', 'submitted', { outcome: 'submitted', baseSha, headSha: head, usage }, tail(summary, 500), { commandMs, usage });
    };

    if (ticket.kind === 'script') {
      transcript.write({ t: 'meta', ticket: ticket.id, run: runId, agent: 'script', commands: ticket.run, baseSha });
      const timeout = Math.min(SCRIPT_TIMEOUT_CAP_MS, repoConfig.checks.timeoutSeconds * 1000);
      let commandMs = 0;
      for (const [index, command] of ticket.run.entries()) {
        const toolUseId = `${runId}-cmd-${index + 1}`;
        const control: RunControl = {};
        const outcome = await runToolCall(
          { id: toolUseId, name: 'Bash', input: { command, timeout } },
          { ...context, contract: deps.contracts.executor, control, toolUseId },
          { chain: deps.chain, bus: deps.bus, store: ws.store, labels },
        );
        commandMs += outcome.ms;
        transcript.write({ t: 'tool', name: 'Bash', input: { command, timeout }, isError: outcome.isError, content: outcome.content });
        if (control.asked && !outcome.isError) {
          // A guard wants the operator's approval: the command did not run, and neither do the ones after it.
          // (A call the operator already refused never gets here: the runner refuses it, and the command fails.)
          const asked = control.asked;
          const question = askOperator(ws, {
            kind: 'guard',
            ticket: ticket.id,
            brand: ticket.brand,
            text: asked.question,
            askedBy: `script ${runId}`,
            ...(asked.approves ? { approves: asked.approves } : {}),
          });
          transcript.write({ t: 'question', id: question.id, toolUseId: asked.toolUseId });
          return settle('block', 'blocked', { outcome: 'blocked', baseSha }, `asked the operator (${question.id}); \`master answer ${question.id} TEXT\` answers it`, { commandMs });
        }
        if (deps.signal.aborted) {
          const why = typeof deps.signal.reason === 'string' ? deps.signal.reason : 'the run was stopped';
          return settle('requeue', 'requeued', { outcome: 'requeued', baseSha, reason: why }, why, { commandMs });
        }
        if (outcome.isError) {
          const why = outcome.refusedBy ? `was refused by ${outcome.refusedBy}` : 'failed';
          return settle('fail', 'failed', { outcome: 'failed', baseSha, reason: `\`${command}\` ${why}: ${tail(outcome.content)}` }, undefined, { commandMs });
        }
      }
      return await submit(`ran ${ticket.run.length} command${ticket.run.length === 1 ? '' : 's'}`, zeroUsage(), commandMs);
    }

    const stopReason = () => (typeof deps.signal.reason === 'string' ? deps.signal.reason : 'the run was stopped');
    const contract = ticket.kind === 'housekeeping' ? deps.contracts.housekeeper : deps.contracts.executor;
    const viaClaudeCode = executorFor(ws.registry, ticket.brand, contract.name) === 'claude-code';
    if (viaClaudeCode && !deps.claudePath) {
      const why = 'the executor is Claude Code, but no working `claude` was found (see `master doctor`)';
      return settle('requeue', 'requeued', { outcome: 'requeued', reason: why }, why);
    }
    if (!viaClaudeCode && !deps.model) return settle('requeue', 'requeued', { outcome: 'requeued', reason: 'no model is configured' }, 'no model is configured');
    // A fresh run's first message, for either executor: the ticket, its answered questions, and where a budget-stopped run left off.
    const freshPrompt =
      ticketPrompt(context.ticket!, answeredQuestions(ws.store.state.questions, ticket.id)) +
      (continueFrom
        ? `\n\nA previous run (${continueFrom.id}) was stopped by a budget (${continueFrom.reason ?? 'its limit'}). What it changed is still in your worktree: look at it (git status, git diff) and continue from there rather than starting over.`
        : '');
    let messages: MessageParam[];
    if (viaClaudeCode) {
      messages = [];
    } else if (resume) {
      const questionId = resume.pending?.questionId;
      const question = questionId ? ws.store.state.questions[questionId] : undefined;
      messages = resumeMessages(resume, answerForModel(question));
    } else {
      messages = [{ role: 'user', content: freshPrompt }];
    }
    transcript.write({
      t: 'meta',
      ticket: ticket.id,
      run: runId,
      agent: context.agent,
      contract: contract.name,
      model: contract.model,
      via: viaClaudeCode ? 'claude-code' : deps.model!.label,
      baseSha,
      ...(resumeFrom ? { resumedFrom: resumeFrom.run.id } : {}),
      ...(sessionFrom ? { resumedFrom: sessionFrom.id, session: sessionFrom.session } : {}),
    });
    for (const message of messages) transcript.write({ t: 'message', message });
    const system = executorSystemPrompt(contract, context, { branch, mainBranch: repoConfig.mainBranch, baseSha });
    // The brand's MCP servers start with the run (only those the palette allows) and stop with it.
    const servers = findBrand(ws.registry, ticket.brand).mcpServers;
    if (Object.keys(servers).length > 0 && contract.tools.some((t) => t.startsWith('mcp__'))) {
      const { openRunMcpTools } = await import('../mcp/client.js');
      try {
        mcpTools = await openRunMcpTools(servers, contract.tools, context);
      } catch (error) {
        const why = errorMessage(error);
        return settle('fail', 'failed', { outcome: 'failed', baseSha, reason: why }, undefined);
      }
      if (mcpTools.definitions.size) transcript.write({ t: 'meta', mcpTools: [...mcpTools.definitions.keys()] });
    }
    runBudget = deps.budget?.open(runId, ticket.brand) ?? null;
    let session: string | undefined;
    let estimate = false;
    const runWith = async () => {
      // What both runtimes take alike: the contract, the guard chain, where the run is recorded, its limits.
      const shared = {
        contract,
        context,
        chain: deps.chain,
        transcript: transcript!,
        bus: deps.bus,
        store: ws.store,
        signal: deps.signal,
        labels,
        ...(runBudget ? { budget: runBudget.exceeded } : {}),
      };
      if (!viaClaudeCode) {
        return runAgent({
          ...shared,
          model: deps.model!,
          system,
          messages,
          ...(deps.retry ? { retry: deps.retry } : {}),
          ...(mcpTools ? { extraTools: mcpTools } : {}),
        });
      }
      const { runClaudeCode } = await import('./claudeCode/run.js');
      const lastQuestion = answeredQuestions(ws.store.state.questions, ticket.id).at(-1);
      // Claude Code drops a tool call cut off by the stop, so the answer comes with its question.
      const answerPrompt = `You asked the operator: ${JSON.stringify(lastQuestion?.text ?? '')}\nThe operator answered: ${answerForModel(lastQuestion)}`;
      const runOnce = (prompt: string, resume?: string) => {
        transcript!.write({ t: 'message', message: { role: 'user', content: prompt } });
        return runClaudeCode({
          ...shared,
          claudePath: deps.claudePath!,
          systemAppend: `${system}\n\n${CLAUDE_CODE_NOTE}`,
          prompt,
          ...(resume ? { resume } : {}),
          ...(deps.model?.provider === 'scripted' && deps.model.server ? { baseUrl: deps.model.server.url } : {}),
          ...(deps.env ? { env: deps.env } : {}),
        });
      };
      let ran: ClaudeCodeRunResult = await runOnce(sessionFrom ? answerPrompt : freshPrompt, sessionFrom?.session);
      if (sessionFrom?.session && ran.status === 'failed' && LOST_SESSION.test(ran.reason ?? '')) {
        // Claude Code lost the session (stopped before it saved it): start afresh in the same worktree,
        // with the ticket's questions and answers in the first prompt, and say so in the transcript.
        const note = `the Claude Code session ${sessionFrom.session} of ${sessionFrom.id} could not be resumed (${ran.reason}); this run starts a fresh session with the question and the answer in its prompt`;
        transcript!.write({ t: 'note', text: note });
        deps.bus.publish({ type: 'note', level: 'warn', message: `${ticket.id}: ${note}` });
        const lost = ran.usage;
        ran = await runOnce(
          `${freshPrompt}\n\nAn earlier run (${sessionFrom.id}) stopped to ask the operator; its session was lost. ${answerPrompt}\nWhat it changed is still in your worktree: look at it (git status, git diff) and continue from there.`,
        );
        ran = { ...ran, usage: addUsage(lost, ran.usage) };
      }
      session = ran.sessionId;
      estimate = ran.estimate;
      return ran;
    };
    const result = await runWith();
    const usage = result.usage;
    runUsage = usage;
    recordUsage(ws.store, {
      ticket: ticket.id,
      brand: ticket.brand,
      run: runId,
      usage,
      timeZone: ws.registry.timezone,
      ...(viaClaudeCode ? { executor: 'claude-code' as const, estimate } : {}),
    });
    runBudget?.done();
    switch (result.status) {
      case 'finished':
        return await submit(result.summary ?? 'finished', usage, 0);
      case 'blocked': {
        const asked = result.question!;
        const question = askOperator(ws, {
          kind: asked.kind ?? 'agent',
          ticket: ticket.id,
          brand: ticket.brand,
          text: asked.text,
          askedBy: `${contract.name} ${runId}`,
          ...(asked.approves ? { approves: asked.approves } : {}),
          ...(asked.choices ? { choices: asked.choices } : {}),
        });
        transcript.write({ t: 'question', id: question.id, toolUseId: result.question!.toolUseId });
        return settle(
          'block',
          'blocked',
          { outcome: 'blocked', baseSha, usage, ...(viaClaudeCode ? { executor: 'claude-code' as const, ...(session ? { session } : {}) } : {}) },
          `asked the operator (${question.id}); \`master answer ${question.id} TEXT\` answers it`,
          { usage },
        );
      }
      case 'rejected-key':
        return settle('requeue', 'requeued', { outcome: 'requeued', baseSha, usage, reason: result.reason! }, result.reason, { rejectedKey: true, usage });
      case 'cancelled':
        return settle('requeue', 'requeued', { outcome: 'requeued', baseSha, usage, reason: stopReason() }, stopReason(), { usage });
      case 'budget': {
        const why = `stopped by its budget: ${result.reason}; the worktree is kept and the next run continues in it`;
        ws.tickets.update(ticket.id, () => ({ hold: { kind: 'budget', reason: why, at: ws.store.now() } }));
        return settle('requeue', 'requeued', { outcome: 'requeued', baseSha, usage, reason: why, stoppedBy: 'budget' }, why, { usage });
      }
      default:
        return settle('fail', 'failed', { outcome: 'failed', baseSha, usage, reason: result.reason ?? 'the run failed' }, undefined, { usage });
    }
  } catch (error) {
    return settle('fail', 'failed', { outcome: 'failed', ...(runBaseSha ? { baseSha: runBaseSha } : {}), usage: runUsage, reason: `the run could not complete: ${errorMessage(error)}` }, undefined, {
      usage: runUsage,
    });
  } finally {
    await mcpTools?.close();
    runBudget?.done();
    transcript?.close();
    activeRuns.delete(runId);
  }
}

/** How Claude Code says a session to resume is not there (it was never saved). */
const LOST_SESSION = /no conversation found/i;

/**
 * What the model is told when its run resumes after a question. A guard's
 * question is about a call that did not run: say whether to make it again.
 */
function answerForModel(question: Question | undefined): string {
  if (!question?.answer) return '(the operator unblocked the ticket without an answer; use your best judgement)';
  if (question.kind !== 'guard') return question.answer;
  return isAffirmative(question.answer)
    ? `${question.answer} — approved. The call did not run yet: make it again with exactly the same input and it will run.`
    : `${question.answer} — the operator refused this call. Do not make it again; find another way or explain in Finish why the ticket cannot be done.`;
}
