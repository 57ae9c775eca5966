import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentContract } from '../../agents/contracts.js';
import type { ModelEndpoint } from '../../agents/model.js';
import type { RetryPolicy } from '../../agents/modelCall.js';
import { runContractAgent, type ContractRunResult } from '../../agents/runContract.js';
import type { BeforeToolHook, GuardDecision, ToolChain, ToolContext } from '../../guards/types.js';
import { getTool, type ToolRunContext } from '../../agents/tools/index.js';
import { Transcript } from '../../agents/transcript.js';
import { recordUsage } from '../../agents/usage.js';
import type { Bus } from '../../bus/index.js';
import { decisionEvent } from '../../guards/audit.js';
import { isInside, resolveReal } from '../../guards/pathPolicy.js';
import type { Workspace } from '../../workspace/open.js';
import type { Finding, FindingInput } from './findings.js';
import { pageHolds, proposedPageText } from './pageText.js';
import { collectFindings, stopCollecting } from './proposeTool.js';

export interface DistillAgentDeps {
  ws: Workspace;
  bus: Bus;
  /** Null when the wiki's agents run through Claude Code without an API model. */
  model: ModelEndpoint | null;
  contracts: Record<'distiller' | 'librarian' | 'operator-global', AgentContract>;
  chain: ToolChain;
  sessionId: string;
  signal: AbortSignal;
  retry?: RetryPolicy;
}

const GUARD = 'wiki-authority';

/**
 * Only the authorities write the wiki, each in its own area: a librarian
 * the pages of the brand it runs for, operator-global the global pages;
 * every other contract (a distiller, an executor, the housekeeper) is
 * refused any write there, and the refusal is logged. This holds whatever
 * the contract's write globs say, since a librarian's globs cover every
 * brand folder.
 */
export function wikiAuthorityGuard(ws: Workspace): BeforeToolHook {
  return {
    name: GUARD,
    before(call, context) {
      const tool = getTool(call.name);
      if (!tool) return null;
      let touched;
      try {
        touched = tool.paths(call.input, context);
      } catch {
        return null;
      }
      const wiki = resolveReal(context.paths.wiki, context.cwd);
      const contract = (context as Partial<ToolRunContext>).contract?.name;
      for (const target of touched) {
        if (target.access !== 'write') continue;
        const real = resolveReal(target.path, context.cwd);
        if (!isInside(real, wiki)) continue;
        const relative = path.relative(wiki, real).split(path.sep).join('/');
        const folder = relative.split('/')[0] ?? '';
        const mine = relative.endsWith('.md') && ((contract === 'librarian' && context.brand !== undefined && folder === context.brand) || (contract === 'operator-global' && folder === 'global'));
        if (mine) continue;
        const decision: GuardDecision = {
          verdict: 'deny',
          guard: GUARD,
          reason:
            contract === 'librarian' || contract === 'operator-global'
              ? `the ${contract}${context.brand ? ` of ${context.brand}` : ''} may write only ${contract === 'librarian' ? `wiki/${context.brand ?? '<its brand>'}/` : 'wiki/global/'} pages, not wiki/${relative}`
              : `only the wiki's authorities (librarian, operator-global) write wiki pages; the ${contract ?? context.agent} may not write wiki/${relative}`,
        };
        ws.store.record(decisionEvent(call, context, decision));
        return decision;
      }
      return null;
    },
  };
}

/** A contract's palette cut to the tools a distillation run needs: its Read/Glob/Grep would reach the whole workspace (state, logs). */
function narrowed(contract: AgentContract, keep: readonly string[]): AgentContract {
  return { ...contract, tools: contract.tools.filter((t) => keep.includes(t)) };
}

function baseContext(deps: DistillAgentDeps, agent: string, brand: string | undefined, transcript: string): ToolContext {
  const { ws } = deps;
  return {
    paths: ws.paths,
    registry: ws.registry,
    root: ws.paths.home,
    cwd: ws.paths.home,
    ...(brand ? { brand } : {}),
    agent,
    sessionId: deps.sessionId,
    transcriptPath: transcript,
    signal: deps.signal,
  };
}

/** A Claude Code run's usage is recorded as such (its cost an estimate on a subscription). */
function viaOf(result: ContractRunResult): { executor?: 'claude-code'; estimate?: boolean } {
  return result.via === 'claude-code' ? { executor: 'claude-code', estimate: result.estimate } : {};
}

export interface DistillerOutcome {
  ok: boolean;
  findings: FindingInput[];
  reason?: string;
}

/** One brand's distiller (read-only): classifies the candidates; its only output is ProposeFinding calls. */
export async function runDistiller(deps: DistillAgentDeps, group: string, day: string, material: string): Promise<DistillerOutcome> {
  const { ws } = deps;
  const brand = group === 'global' ? undefined : group;
  const contract = narrowed(deps.contracts.distiller, ['WikiRead', 'WikiSearch', 'ProposeFinding', 'Finish']);
  const runId = `distill-${day}-${group}-${Date.now().toString(36)}`;
  const transcript = new Transcript(path.join(ws.paths.transcripts, 'distill', `${runId}.ndjson`));
  const findings = collectFindings(transcript.file);
  const scope = brand ? `pages of ${brand}/ (its brand) or global/ (true for every brand)` : 'global/ pages (cross-brand knowledge)';
  const system = [
    contract.role,
    [
      `You distill for ${brand ? `brand ${brand}` : 'every brand (global)'} on ${day}. Classify each piece of reusable knowledge in the material and call ProposeFinding once per finding, for ${scope}.`,
      'high: verified (a merged ticket, its checks, the verifier, or the operator said so); medium: likely but unverified; low: a hunch or a one-off. Cite the ids you used as sources. Prefer updating or appending to an existing page (WikiSearch, WikiRead) to creating a near-duplicate; link related pages with [[wikilinks]].',
      'You cannot write files. When done, call Finish with a one-line summary.',
    ].join('\n'),
  ].join('\n\n');
  try {
    const result = await runContractAgent({
      registry: ws.registry,
      ...(brand ? { brand } : {}),
      contract,
      model: deps.model,
      system,
      messages: [{ role: 'user', content: `Distill ${group} for ${day}.\n\n${material}` }],
      context: baseContext(deps, 'distiller', brand, transcript.file),
      chain: deps.chain,
      transcript,
      bus: deps.bus,
      store: ws.store,
      signal: deps.signal,
      // The scripted model keys a distiller's turns by `distill:<brand>`.
      labels: { ticket: `distill:${group}`, brand: group, run: runId },
      ...(deps.retry ? { retry: deps.retry } : {}),
    });
    recordUsage(ws.store, { ticket: 'distill', brand: group, run: runId, usage: result.usage, timeZone: ws.registry.timezone, ...viaOf(result) });
    if (result.status !== 'finished') return { ok: false, findings: [], reason: result.reason ?? result.status };
    return { ok: true, findings: [...findings] };
  } finally {
    stopCollecting(transcript.file);
  }
}

export interface AuthorityOutcome {
  ok: boolean;
  /** False when the page already held the finding (a resumed run): nothing was written. */
  wrote?: boolean;
  reason?: string;
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The finding's authority applies it: the brand's librarian, or
 * operator-global for a global page, run with Write/Edit on the wiki and
 * nothing else. Done when the page holds the finding's content afterwards.
 */
export async function runAuthority(deps: DistillAgentDeps, finding: Finding): Promise<AuthorityOutcome> {
  const { ws } = deps;
  const authority = finding.authority!;
  const file = path.join(ws.paths.wiki, `${finding.target}.md`);
  const before = readOrNull(file);
  if (pageHolds(before, finding)) return { ok: true, wrote: false };
  const contract = narrowed(deps.contracts[authority], ['Write', 'Edit', 'WikiRead', 'WikiSearch', 'Finish']);
  const runId = `wiki-${finding.id}-${Date.now().toString(36)}`;
  const transcript = new Transcript(path.join(ws.paths.transcripts, 'distill', `${runId}.ndjson`));
  const brand = authority === 'librarian' ? finding.brand : undefined;
  const relative = `wiki/${finding.target}.md`;
  const suggested = proposedPageText(finding, before, finding.day, authority);
  const system = [
    contract.role,
    `You work in the workspace folder; wiki pages are Markdown files under wiki/ with frontmatter (title, brand, updated, sources, confidence, authority). You may write ${authority === 'librarian' ? `wiki/${brand}/` : 'wiki/global/'} pages only. Keep pages short, linked with [[wikilinks]] and sourced. Call Finish when the page is written.`,
  ].join('\n\n');
  const message = [
    `Write wiki page ${finding.target}`,
    '',
    `Finding ${finding.id} (${finding.confidence} confidence, from the ${finding.brand} distiller): ${finding.change} ${relative}.`,
    `Sources: ${finding.sources.join(', ')}`,
    '',
    'Content:',
    finding.content,
    '',
    before === null ? 'The page does not exist yet.' : `The page now:\n\n${before}`,
    '',
    `A page that applies it (write this, or better if you must, keeping the content):\n\n${suggested}`,
  ].join('\n');
  // Under Claude Code the page is written from inside the sandbox: the authority's own area is writable there.
  const area = path.join(ws.paths.wiki, authority === 'librarian' ? finding.brand : 'global');
  mkdirSync(area, { recursive: true });
  const result = await runContractAgent({
    registry: ws.registry,
    ...(brand ? { brand } : {}),
    contract,
    model: deps.model,
    sandbox: { wikiWritable: [area] },
    system,
    messages: [{ role: 'user', content: message }],
    context: baseContext(deps, authority, brand, transcript.file),
    chain: deps.chain,
    transcript,
    bus: deps.bus,
    store: ws.store,
    signal: deps.signal,
    // The scripted model keys an authority's turns by `wiki:<page>`.
    labels: { ticket: `wiki:${finding.target}`, brand: finding.brand, run: runId },
    ...(deps.retry ? { retry: deps.retry } : {}),
  });
  recordUsage(ws.store, { ticket: 'distill', brand: finding.brand, run: runId, usage: result.usage, timeZone: ws.registry.timezone, ...viaOf(result) });
  const after = existsSync(file) ? readOrNull(file) : null;
  if (pageHolds(after, finding)) return { ok: true, wrote: true };
  return { ok: false, reason: result.status === 'finished' ? `the ${authority} finished without writing ${relative}` : `the ${authority} run ${result.status}: ${result.reason ?? ''}`.trim() };
}
