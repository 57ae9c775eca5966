import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Question, Ticket } from '../state/types.js';
import type { AgentContract } from './contracts.js';
import type { ToolContext } from '../guards/types.js';
import { siloAdvisory } from '../guards/silo/rules.js';
import { relevantKnowledge } from '../wiki/knowledge.js';

const INSTRUCTION_FILES = ['AGENTS.md', 'CLAUDE.md'];
const MAX_INSTRUCTIONS = 20_000;

/** The repo's own instructions for agents (AGENTS.md, CLAUDE.md) as they are in the worktree. */
export function repoInstructions(worktree: string): string[] {
  const out: string[] = [];
  for (const name of INSTRUCTION_FILES) {
    let text: string;
    try {
      text = readFileSync(path.join(worktree, name), 'utf8').trim();
    } catch {
      continue;
    }
    if (!text) continue;
    const capped = text.length > MAX_INSTRUCTIONS ? `${text.slice(0, MAX_INSTRUCTIONS)}\n… (cut at ${MAX_INSTRUCTIONS} characters)` : text;
    out.push(`The repository's ${name}:\n\n${capped}`);
  }
  return out;
}

/** The executor's system prompt: its role, where it works and the rules that hold, the repo's instructions. */
export function executorSystemPrompt(contract: AgentContract, context: ToolContext, where: { branch: string; mainBranch: string; baseSha: string }): string {
  const parts = [
    contract.role,
    [
      `You work in a git worktree at ${context.root} on branch ${where.branch}, made from ${where.mainBranch} at ${where.baseSha.slice(0, 12)}.`,
      'Every file tool is confined to this worktree: a path outside it is refused. Relative paths are relative to it.',
      "Do not commit, push, merge or switch branches. When you call Finish, your changes are committed for you and go to the merge gate, which runs the repository's checks and a verifier before anything reaches main.",
      'A refused or failed tool call comes back as an error result: read the reason and adapt, do not repeat the same call.',
    ].join('\n'),
    ...repoInstructions(context.root),
    ...wikiSection(context),
  ];
  // Silo layer 2, the advisory rules text: part of every prompt, not something a caller must remember to add.
  const advisory = siloAdvisory(context.registry, context.brand, context.paths.home);
  if (advisory) parts.push(advisory);
  return parts.join('\n\n');
}

/** The ticket's brand's most relevant wiki pages; a wiki that cannot be read costs the prompt nothing, never the run. */
function wikiSection(context: ToolContext): string[] {
  const { ticket } = context;
  if (!ticket) return [];
  try {
    const text = [ticket.title, ticket.body, ...ticket.acceptance].join('\n');
    const { section } = relevantKnowledge(context.paths, context.registry, { brand: ticket.brand, text });
    return section ? [section] : [];
  } catch {
    return [];
  }
}

const MAX_ANSWERED_TEXT = 2000;

function clip(text: string): string {
  const flat = text.trim();
  return flat.length > MAX_ANSWERED_TEXT ? `${flat.slice(0, MAX_ANSWERED_TEXT)}…` : flat;
}

/**
 * The first user message of a ticket's run: the ticket, its acceptance
 * criteria, feedback from earlier attempts, and the questions earlier runs
 * asked with the operator's answers (so no answer is lost when a run starts afresh).
 */
export function ticketPrompt(ticket: Ticket, answered: readonly Question[] = []): string {
  const lines = [`Ticket ${ticket.id}: ${ticket.title}`, `Brand ${ticket.brand}, repository ${ticket.repo}, priority ${ticket.priority}.`];
  if (ticket.body.trim()) lines.push('', ticket.body.trim());
  if (ticket.acceptance.length) lines.push('', 'Acceptance criteria:', ...ticket.acceptance.map((a) => `- ${a}`));
  if (ticket.feedback.length) {
    lines.push('', 'Earlier attempts were sent back with this feedback; address it:', ...ticket.feedback.map((f) => `- ${f}`));
  }
  const answers = answered.filter((q) => q.answer !== undefined);
  if (answers.length) {
    lines.push('', 'Earlier runs of this ticket asked the operator; these answers stand:');
    for (const q of answers) lines.push(`- ${q.id} asked: ${clip(q.text)}`, `  The operator answered: ${clip(q.answer!)}`);
  }
  lines.push('', 'Do the work, check it, then call Finish with a summary.');
  return lines.join('\n');
}
