import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { toolChainFor } from '../../agents/confinement.js';
import { resolveContracts } from '../../agents/contracts.js';
import { contractAvailability } from '../../agents/runContract.js';
import { executorFor } from '../../agents/claudeCode/select.js';
import { modelAvailability, openModel, type ModelEndpoint, type OpenModelOptions } from '../../agents/model.js';
import type { RetryPolicy } from '../../agents/modelCall.js';
import type { Bus } from '../../bus/index.js';
import { errorMessage } from '../../errors.js';
import { calendarDay } from '../../calendar.js';
import { askOperator, isAffirmative } from '../../questions/index.js';
import type { Workspace } from '../../workspace/open.js';
import { loadCatalog, pageFile, wikiDataDir } from '../catalog.js';
import { Wiki } from '../wiki.js';
import { runAuthority, runDistiller, wikiAuthorityGuard, type DistillAgentDeps } from './agents.js';
import { candidateTickets, candidatesText, gatherCandidates, refusalsByBrand, type CandidateGroup } from './candidates.js';
import { readFindings, saveFindings, type Finding, type FindingsFile } from './findings.js';
import { appendLedger, findingEntry, ticketEntry } from './ledger.js';
import { findingDiff, proposedPageText } from './pageText.js';

export interface DistillOptions {
  ws: Workspace;
  bus: Bus;
  sessionId: string;
  signal: AbortSignal;
  clock: () => Date;
  /** A model to use instead of opening the registry's (tests); null: distil without one. */
  model?: ModelEndpoint | null;
  modelOptions?: OpenModelOptions;
  env?: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
}

export interface DistillReport {
  day: string;
  /** Brands (and `global`) whose candidates were distilled now. */
  groups: string[];
  tickets: string[];
  notes: string[];
  classified: number;
  written: string[];
  pending: Array<{ finding: string; question: string; target: string }>;
  ledgered: string[];
  failed: Array<{ group: string; reason: string }>;
  ledger: string;
  /** Why no findings were classified (no model), when so. */
  unclassified?: string;
}

function authorityOf(target: string): 'librarian' | 'operator-global' {
  return target.startsWith('global/') ? 'operator-global' : 'librarian';
}

function readOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The daily distillation: each brand's distiller (in parallel) classifies
 * its candidates; high findings are written at once by their authority,
 * medium ones become approvals for the operator, low ones go to the day's
 * ledger; approvals answered since are acted on. Every step is saved in
 * `.master/wiki/findings.json` before the next, so a rerun after a crash
 * repeats no write and loses no finding. Without a model, the candidates
 * still reach the ledger.
 */
export async function runDistillation(options: DistillOptions): Promise<DistillReport> {
  const { ws, bus } = options;
  const now = options.clock();
  const day = calendarDay(now, ws.registry.timezone);
  const file = readFindings(ws.paths.data);
  const save = () => saveFindings(ws.paths.data, file);
  const since = ws.store.state.phases.distill?.at ?? '';
  const catalog = loadCatalog(ws.paths.wiki, ws.paths.data);
  const groups = gatherCandidates(candidateTickets(ws.store, since), ws.registry, catalog, since, file.notes);
  // The logs add to a brand's material; alone they are no reason to distil.
  const refusals = refusalsByBrand(ws.paths.events, since);
  for (const group of groups) {
    const found = refusals.get(group.brand);
    if (found) group.refusals = found;
  }
  const report: DistillReport = {
    day,
    groups: [],
    tickets: groups.flatMap((g) => [...g.merged, ...g.rejected].map((t) => t.id)),
    notes: groups.flatMap((g) => g.notes.map((n) => n.page)),
    classified: 0,
    written: [],
    pending: [],
    ledgered: [],
    failed: [],
    ledger: path.relative(ws.paths.home, path.join(ws.paths.wiki, 'ledger', `${day}.md`)),
  };

  let model: ModelEndpoint | null = options.model ?? null;
  let ownModel = false;
  const needsModel = groups.length > 0 || file.findings.some((f) => f.status === 'proposed' || f.status === 'pending');
  if (options.model === undefined && needsModel) {
    const availability = modelAvailability(ws.registry, options.env ?? process.env);
    if (availability.ok) {
      try {
        model = await openModel(ws.registry, ws.paths.home, { ...options.modelOptions, ...(options.env ? { env: options.env } : {}) });
        ownModel = true;
      } catch (error) {
        report.unclassified = `the model could not be opened: ${errorMessage(error)}`;
      }
    } else report.unclassified = availability.reason;
  } else if (!model && needsModel) report.unclassified = 'no model was given';
  // Without an API model, distilling still runs where the wiki's agents run through Claude Code.
  const viaClaudeCode =
    !model &&
    needsModel &&
    options.model === undefined &&
    [undefined, ...ws.registry.brands.map((b) => b.id)].some(
      (brand) => executorFor(ws.registry, brand ?? '', 'distiller') === 'claude-code' && contractAvailability(ws.registry, brand, 'distiller', options.env).ok,
    );
  if (viaClaudeCode) delete report.unclassified;

  try {
    if (model || viaClaudeCode) {
      const chain = toolChainFor(ws);
      chain.before.push(wikiAuthorityGuard(ws));
      const contracts = resolveContracts(ws.registry);
      const deps: DistillAgentDeps = {
        ws,
        bus,
        model,
        contracts,
        chain,
        sessionId: options.sessionId,
        signal: options.signal,
        ...(options.retry ? { retry: options.retry } : {}),
      };
      await classify(deps, groups, file, day, report, save);
      await route(deps, file, report, save);
    }
  } finally {
    if (ownModel) await model?.close();
  }

  // The ledger: the day's merged tickets, then every finding that lives only there.
  const forLedger = file.findings.filter((f) => f.status === 'ledger' && !f.inLedger);
  const merged = groups.flatMap((g) => g.merged);
  const notes = report.unclassified ? [`No findings were classified (${report.unclassified}); the candidates are listed below for when a model can distil them.`] : [];
  const noteEntries = report.unclassified ? groups.flatMap((g) => g.notes.map((n) => ({ heading: `note ${n.page}`, lines: [`- brand: ${g.brand}; not classified yet`] }))) : [];
  appendLedger(ws.paths.wiki, day, now.toISOString(), [...merged.map(ticketEntry), ...noteEntries, ...forLedger.map(findingEntry)], notes);
  for (const f of forLedger) f.inLedger = true;
  report.ledgered = forLedger.map((f) => f.id);
  if (forLedger.length) save();
  // The pages this run wrote reach the catalog and the search index now, by name, without a look at every page,
  // and are folded into the index file: the session pays that rewrite, not the operator's next search.
  // Only an index that exists: a workspace that never searched its wiki builds one on its first wiki command.
  try {
    if (existsSync(wikiDataDir(ws.paths.data))) Wiki.open(ws.paths, { changed: [...report.written, `ledger/${day}`] }).index.settle();
  } catch {
    // Derived data: the next look at the pages takes them in.
  }
  return report;
}

async function classify(deps: DistillAgentDeps, groups: CandidateGroup[], file: FindingsFile, day: string, report: DistillReport, save: () => void): Promise<void> {
  const { ws } = deps;
  const done = new Set(file.distilled[day] ?? []);
  const todo = groups.filter((g) => !done.has(g.brand));
  const limit = pLimit(ws.registry.dispatch.concurrency);
  const readNote = (page: string) => readOrNull(pageFile(ws.paths.wiki, page)) ?? '';
  await Promise.all(
    todo.map((group) =>
      limit(async () => {
        const outcome = await runDistiller(deps, group.brand, day, candidatesText(group, readNote)).catch((error: unknown) => ({
          ok: false,
          findings: [],
          reason: errorMessage(error),
        }));
        if (!outcome.ok) {
          report.failed.push({ group: group.brand, reason: outcome.reason ?? 'failed' });
          return;
        }
        // The group's findings and its "done" mark are saved together: a crash before repeats the distiller, never half of it.
        for (const input of outcome.findings) {
          // The same knowledge proposed again (another day, a rerun) is not a new finding.
          if (file.findings.some((f) => f.target === input.target && f.content.trim() === input.content.trim())) continue;
          const finding: Finding = { ...input, id: `F-${++file.counter}`, day, brand: group.brand, status: 'proposed', authority: authorityOf(input.target) };
          file.findings.push(finding);
          ws.store.record({
            type: 'wiki.finding',
            finding: finding.id,
            brand: finding.brand,
            confidence: finding.confidence,
            target: finding.target,
            change: finding.change,
            sources: finding.sources,
          });
        }
        file.distilled[day] = [...(file.distilled[day] ?? []), group.brand];
        for (const note of group.notes) file.notes[note.page] = note.hash;
        save();
        report.groups.push(group.brand);
        report.classified += outcome.findings.length;
        report.groups.sort();
      }),
    ),
  );
}

async function route(deps: DistillAgentDeps, file: FindingsFile, report: DistillReport, save: () => void): Promise<void> {
  const { ws } = deps;
  const toLedger = (finding: Finding, note?: string) => {
    finding.status = 'ledger';
    if (note) finding.note = note;
    save();
  };
  const write = async (finding: Finding, how: string) => {
    const outcome = await runAuthority(deps, finding);
    if (!outcome.ok) {
      toLedger(finding, `not written: ${outcome.reason}`);
      return;
    }
    finding.status = 'written';
    save();
    // A page that already held it was written by an earlier, interrupted run (which recorded the write then, or crashed first).
    if (outcome.wrote === false) finding.note = 'already on the page';
    ws.store.record({
      type: 'wiki.write',
      page: finding.target,
      authority: finding.authority,
      brand: finding.brand,
      finding: finding.id,
      confidence: finding.confidence,
      sources: finding.sources,
      how: outcome.wrote === false ? `${how}; found on the page after an interrupted run` : how,
    });
    report.written.push(finding.target);
  };
  for (const finding of file.findings) {
    if (deps.signal.aborted) return;
    if (finding.status === 'proposed') {
      if (finding.confidence === 'low') toLedger(finding, 'low confidence: kept in the ledger only');
      else if (finding.confidence === 'high') await write(finding, 'high confidence');
      else {
        const pageFileName = pageFile(ws.paths.wiki, finding.target);
        const before = readOrNull(pageFileName);
        const diff = findingDiff(finding.target, before, proposedPageText(finding, before, finding.day, finding.authority!));
        const question = askOperator(ws, {
          kind: 'approval',
          brand: finding.brand === 'global' ? undefined : finding.brand,
          askedBy: 'distiller',
          approves: `wiki:${finding.id}`,
          text: `Wiki finding ${finding.id} (medium confidence, from the ${finding.brand} distiller): ${finding.change} ${finding.target}, sources ${finding.sources.join(', ')}. Write it? (yes: the ${finding.authority} writes it; anything else: it goes to the ledger with your answer as the reason)\n\n${diff}`,
        } as Parameters<typeof askOperator>[1]);
        finding.status = 'pending';
        finding.question = question.id;
        save();
        report.pending.push({ finding: finding.id, question: question.id, target: finding.target });
      }
    } else if (finding.status === 'pending' && finding.question) {
      const question = ws.store.state.questions[finding.question];
      if (question?.answer === undefined) continue;
      if (isAffirmative(question.answer)) await write(finding, `approved by the operator (${question.id})`);
      else toLedger(finding, `declined by the operator (${question.id}): ${question.answer}`);
    }
  }
}
