import path from 'node:path';
import * as z from 'zod/mini';
import { resolveContracts } from '../agents/contracts.js';
import type { ModelEndpoint } from '../agents/model.js';
import { repoInstructions } from '../agents/prompt.js';
import type { RetryPolicy } from '../agents/runtime.js';
import type { ToolChain, ToolContext } from '../guards/types.js';
import { registerTool } from '../agents/tools/index.js';
import { ok, failed, type ToolDefinition } from '../agents/tools/types.js';
import type { Bus } from '../bus/index.js';
import type { CheckEvidence } from '../state/types.js';
import type { Workspace } from '../workspace/open.js';
import { modelAvailability } from '../agents/availability.js';
import { executorFor } from '../agents/claudeCode/select.js';
import { contractAvailability } from '../agents/runContract.js';
import type { Verifier, VerifierInput, VerifierVerdict } from './types.js';

/** Verdicts given by runs in flight, keyed by the run's transcript file (unique per run). */
const verdicts = new Map<string, VerifierVerdict>();

const VerdictInput = z.strictObject({
  verdict: z.enum(['pass', 'fail']),
  reasons: z.array(z.string().check(z.trim(), z.minLength(1))).check(z.minLength(1, 'at least one reason')),
});

/** The verifier's only way to answer: a structured verdict with reasons, validated against this schema. */
export const verdictTool: ToolDefinition<z.infer<typeof VerdictInput>> = {
  name: 'Verdict',
  description:
    'Gives your verdict on the candidate and ends the review: "pass" only if the change meets every acceptance criterion and the checks support it, otherwise "fail". Give the reasons a developer needs to act on.',
  input: VerdictInput,
  paths: () => [],
  async run(input, context) {
    const key = context.transcriptPath;
    if (!key || context.agent !== 'verifier') return failed("Verdict belongs to the merge gate's verifier runs");
    if (verdicts.has(key)) return failed('one verdict per review; the first one stands');
    verdicts.set(key, { verdict: input.verdict, reasons: input.reasons });
    context.control.finished = { summary: `verdict ${input.verdict}: ${input.reasons.join('; ')}` };
    return ok(`verdict recorded: ${input.verdict}`);
  },
};
registerTool(verdictTool);

const CHECK_OUTPUT = 1500;

function checksText(checks: CheckEvidence[]): string {
  if (checks.length === 0) return 'No checks are configured for this repository.';
  return checks
    .map(
      (c) =>
        `- ${c.name} (\`${c.command}\`): ${c.exitCode === 0 ? 'passed' : c.timedOut ? 'timed out' : `exit ${c.exitCode}`} in ${c.durationMs} ms\n${c.outputTail.slice(-CHECK_OUTPUT).replace(/^/gm, '    ')}`,
    )
    .join('\n');
}

/** The verifier's first message: the ticket, its criteria, the diff and the check results. */
export function verifierPrompt(input: VerifierInput): string {
  const { ticket } = input;
  return [
    // First line `Verify: <title>`: a scripted-model script may key verifier turns by it (or by `verify:T-n`).
    `Verify: ${ticket.title} (ticket ${ticket.id})`,
    'Review the candidate below.',
    `Brand ${ticket.brand}, repository ${ticket.repo}. The candidate ${input.candidateSha.slice(0, 12)} is the ticket's work rebased onto main ${input.baseSha.slice(0, 12)}; its files are in your working directory.`,
    ...(ticket.body.trim() ? ['', ticket.body.trim()] : []),
    '',
    ticket.acceptance.length ? `Acceptance criteria:\n${ticket.acceptance.map((a) => `- ${a}`).join('\n')}` : 'The ticket lists no acceptance criteria: judge by its title and body.',
    '',
    `Check results:\n${checksText(input.checks)}`,
    '',
    `The diff against main:\n\n${input.diff}`,
    '',
    'Read what you need, then call Verdict once.',
  ].join('\n');
}

export interface AgentVerifierDeps {
  ws: Workspace;
  /** The API model (null when every verifier runs through Claude Code); the scripted model serves Claude Code too. */
  model: ModelEndpoint | null;
  chain: ToolChain;
  bus?: Bus;
  sessionId?: string;
  retry?: RetryPolicy;
  env?: NodeJS.ProcessEnv;
}

/**
 * The verifier agent: the `verifier` contract (a read-only palette plus
 * Verdict) run in the gate worktree by the executor the registry names for
 * the brand's verifier (the built-in runtime or Claude Code). A run that ends
 * without a Verdict is an error (the ticket waits), never a pass.
 */
export function createAgentVerifier(deps: AgentVerifierDeps): Verifier {
  return async (input) => {
    const { ws } = deps;
    const [{ runContractAgent }, { Transcript }, { recordUsage }, { siloAdvisory }] = await Promise.all([
      import('../agents/runContract.js'),
      import('../agents/transcript.js'),
      import('../agents/usage.js'),
      import('../guards/silo/rules.js'),
    ]);
    const contract = resolveContracts(ws.registry).verifier;
    const { ticket } = input;
    const runId = `verify-${Date.now().toString(36)}`;
    const transcript = new Transcript(path.join(ws.paths.transcripts, ticket.id, `${runId}.ndjson`));
    const context: ToolContext = {
      paths: ws.paths,
      registry: ws.registry,
      root: input.worktree,
      cwd: input.worktree,
      brand: ticket.brand,
      repo: ticket.repo,
      ticket,
      agent: 'verifier',
      sessionId: deps.sessionId ?? 'gate',
      transcriptPath: transcript.file,
      signal: input.signal,
    };
    const system = [
      contract.role,
      `You review in a read-only checkout at ${input.worktree}. Tools that write are not available to you. Answer only through the Verdict tool.`,
      ...repoInstructions(input.worktree),
      siloAdvisory(ws.registry, ticket.brand, ws.paths.home),
    ]
      .filter(Boolean)
      .join('\n\n');
    const { BudgetBook } = await import('../budget/index.js');
    const runBudget = new BudgetBook(ws).open(runId, ticket.brand);
    transcript.write({
      t: 'meta',
      ticket: ticket.id,
      run: runId,
      agent: 'verifier',
      contract: contract.name,
      model: contract.model,
      via: executorFor(ws.registry, ticket.brand, 'verifier') === 'claude-code' ? 'claude-code' : (deps.model?.label ?? 'no model'),
      candidate: input.candidateSha,
    });
    try {
      const result = await runContractAgent({
        registry: ws.registry,
        brand: ticket.brand,
        contract,
        model: deps.model,
        ...(deps.env ? { env: deps.env } : {}),
        system,
        messages: [{ role: 'user', content: verifierPrompt(input) }],
        context,
        chain: deps.chain,
        transcript,
        ...(deps.bus ? { bus: deps.bus } : {}),
        store: ws.store,
        signal: input.signal,
        // The scripted model keys scripts by this label: a ticket's verifier turns are `verify:T-n`.
        labels: { ticket: `verify:${ticket.id}`, gate: ticket.id, run: runId, brand: ticket.brand },
        ...(deps.retry ? { retry: deps.retry } : {}),
        budget: runBudget.exceeded,
      });
      recordUsage(ws.store, {
        ticket: ticket.id,
        brand: ticket.brand,
        run: runId,
        usage: result.usage,
        timeZone: ws.registry.timezone,
        ...(result.via === 'claude-code' ? { executor: 'claude-code' as const, estimate: result.estimate } : {}),
      });
      const verdict = verdicts.get(transcript.file);
      if (verdict) return verdict;
      throw new Error(
        result.status === 'finished'
          ? // What the model said instead is the real reason (a scripted model with no script says so): never only in the transcript.
            `the verifier ended without calling Verdict${result.summary && !result.summary.startsWith('the model ended its turn') ? `; it said: ${result.summary.trim().split('\n')[0]}` : ''}`
          : `the verifier run ${result.status}${result.reason ? `: ${result.reason}` : ''}`,
      );
    } finally {
      runBudget.done();
      verdicts.delete(transcript.file);
      transcript.close();
    }
  };
}

/** What the gate needs of the session that runs it (the loop's phase context has these and more). */
export interface VerifierSession {
  ws: Workspace;
  bus: Bus;
  sessionId: string;
}

/**
 * The workspace's own verifier for a session's merge phase, or none when no
 * brand's verifier can run (no model for the built-in runtime, no working
 * `claude` for Claude Code). The model is opened when one is configured: the
 * built-in runtime needs it, and a scripted one also serves Claude Code.
 */
export async function systemVerifier(context: VerifierSession): Promise<{ verifier?: Verifier; close(): Promise<void> }> {
  const { ws } = context;
  const agentBrands = ws.registry.brands.filter((b) => b.repos.some((r) => r.gate.verifier === 'agent'));
  if (!agentBrands.some((b) => contractAvailability(ws.registry, b.id, 'verifier').ok)) return { close: async () => undefined };
  const [{ openModel }, { buildGuardChain }] = await Promise.all([import('../agents/model.js'), import('../guards/chain.js')]);
  const model = modelAvailability(ws.registry).ok ? await openModel(ws.registry, ws.paths.home) : null;
  const chain = buildGuardChain({ paths: ws.paths, registry: ws.registry, store: ws.store });
  return {
    verifier: createAgentVerifier({ ws, model, chain, bus: context.bus, sessionId: context.sessionId }),
    close: async () => model?.close(),
  };
}
