import path from 'node:path';
import type { BrandBriefing, RepoReport } from './types.js';

type BriefingData = Omit<BrandBriefing, 'markdown'>;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function shown(home: string, target: string): string {
  const relative = path.relative(home, target);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : target;
}

function listSome(items: string[], max = 5): string {
  return items.length > max ? `${items.slice(0, max).join(', ')}, and ${items.length - max} more` : items.join(', ');
}

function repoLines(report: RepoReport, home: string): string[] {
  const count = report.newCommits.length;
  const what = report.firstLook
    ? `first look, latest ${plural(count, 'commit')}`
    : count === 0
      ? 'no new commits'
      : `${report.truncated ? 'at least ' : ''}${plural(count, 'new commit')}${report.rewritten ? ' (history was rewritten)' : ''}`;
  const lines = [`- **${report.repo}** (${report.mainBranch} @ ${report.head.slice(0, 7)}): ${what}`];
  for (const c of report.newCommits) {
    lines.push(`  - ${c.sha.slice(0, 7)} ${c.subject} (${c.author}, ${plural(c.filesChanged, 'file')}, +${c.insertions} -${c.deletions})`);
  }
  if (report.dirty.length) {
    lines.push(`  - uncommitted: ${listSome(report.dirty.map((f) => f.path))}`);
  }
  for (const b of report.ticketBranches) {
    const where = b.worktree ? `, worktree ${shown(home, b.worktree)}` : '';
    lines.push(`  - ${b.branch}: ${b.ahead} ahead, ${b.behind} behind ${report.mainBranch}${where}`);
  }
  const ticketBranchNames = new Set(report.ticketBranches.map((b) => b.branch));
  for (const w of report.worktrees) {
    if (w.branch && ticketBranchNames.has(w.branch) && !w.prunable) continue;
    const state = w.prunable ? 'stale worktree (folder gone; `git worktree prune`)' : 'worktree';
    lines.push(`  - ${state} ${shown(home, w.path)} on ${w.branch ?? 'a detached HEAD'}`);
  }
  return lines;
}

/** One brand's briefing as short Markdown. */
export function renderBrand(briefing: BriefingData, home: string): string {
  const title = `## ${briefing.name}${briefing.silo ? ' (silo)' : ''}`;
  const lines = [title, ''];
  for (const report of briefing.repos) lines.push(...repoLines(report, home));
  for (const problem of briefing.errors) lines.push(`- **${problem.repo}**: cannot scout: ${problem.message}`);
  if (briefing.repos.length === 0 && briefing.errors.length === 0) lines.push('- no repos in the registry');
  return lines.join('\n');
}

/** One line for the report: commits, dirty checkouts, ticket branches, errors. */
export function summarize(briefings: BriefingData[], tracked: number): string {
  const repos = briefings.flatMap((b) => b.repos);
  const moved = repos.filter((r) => !r.firstLook && r.newCommits.length > 0);
  const commits = moved.reduce((n, r) => n + r.newCommits.length, 0);
  const first = repos.filter((r) => r.firstLook).length;
  const dirty = repos.filter((r) => r.dirty.length > 0).length;
  const branches = repos.reduce((n, r) => n + r.ticketBranches.length, 0);
  const errors = briefings.reduce((n, b) => n + b.errors.length, 0);
  const parts = [`scouted ${plural(tracked, 'repo')} in ${plural(briefings.length, 'brand')}`];
  parts.push(commits ? `${plural(commits, 'new commit')} in ${plural(moved.length, 'repo')}` : 'no new commits');
  if (first) parts.push(`${first} seen for the first time`);
  if (dirty) parts.push(`${plural(dirty, 'dirty checkout')}`);
  if (branches) parts.push(`${plural(branches, 'ticket branch')}`.replace('branchs', 'branches'));
  if (errors) parts.push(`${plural(errors, 'repo')} could not be read`);
  return parts.join(', ');
}

/** Every brand's briefing, one after another. */
export function renderBriefings(briefings: BrandBriefing[], summary: string): string {
  return [`# Scout: ${summary}`, '', ...briefings.map((b) => b.markdown).flatMap((m) => [m, ''])].join('\n').trimEnd();
}
