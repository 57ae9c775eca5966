import { registerTool } from '../../agents/tools/index.js';
import { failed, ok, type ToolDefinition } from '../../agents/tools/types.js';
import type { ToolContext } from '../../guards/types.js';
import { FindingInput } from './findings.js';

/** Findings proposed by distiller runs in flight, keyed by the run's transcript file (unique per run). */
const sinks = new Map<string, FindingInput[]>();

/** Starts collecting a distiller run's findings; the returned list fills as it proposes. */
export function collectFindings(transcriptFile: string): FindingInput[] {
  const list: FindingInput[] = [];
  sinks.set(transcriptFile, list);
  return list;
}

export function stopCollecting(transcriptFile: string): void {
  sinks.delete(transcriptFile);
}

/** Why a distiller of this brand may not propose for that page, or null. A silo's knowledge stays in its own pages. */
export function targetRefusal(context: Pick<ToolContext, 'registry' | 'brand'>, target: string): string | null {
  const folder = target.slice(0, target.indexOf('/'));
  const brand = context.brand;
  if (folder === 'ledger' || folder === 'inbox') return `${folder}/ is written by distillation itself, not by findings`;
  if (folder === 'global') {
    const silo = brand && context.registry.brands.find((b) => b.id === brand)?.silo;
    return silo ? `brand "${brand}" is siloed: its findings stay in ${brand}/ pages, never global ones` : null;
  }
  if (!brand) return `the cross-brand distiller proposes global/ pages only, not ${folder}/`;
  return folder === brand ? null : `a distiller of ${brand} proposes ${brand}/ or global/ pages only, not ${folder}/`;
}

/**
 * A distiller's only output: one finding, classified. Nothing is written
 * here; the distillation routes it by confidence to the page's authority,
 * the operator's approval, or the ledger.
 */
export const proposeFindingTool: ToolDefinition<FindingInput> = {
  name: 'ProposeFinding',
  description:
    "Proposes one piece of knowledge for the wiki. confidence: high (verified by a merged ticket, its checks or the operator: written at once), medium (likely; the operator approves it first), low (a hunch; kept in the day's ledger only). target: the page name (your brand's folder or global/), change: create, update (replace the page's text) or append; content: Markdown with [[wikilinks]]; sources: ticket ids, commits, log or note references.",
  input: FindingInput,
  paths: () => [],
  async run(input, context) {
    const sink = context.transcriptPath ? sinks.get(context.transcriptPath) : undefined;
    if (!sink) return failed("ProposeFinding belongs to the distillation's distiller runs");
    const refusal = targetRefusal(context, input.target);
    if (refusal) return failed(`not proposed: ${refusal}`);
    sink.push(input);
    return ok(`finding ${sink.length} recorded (${input.confidence}, ${input.change} ${input.target})`);
  },
};
registerTool(proposeFindingTool);
