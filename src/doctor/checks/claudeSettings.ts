import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { GUARD_MARGIN_SECONDS, parseGuardHookCommand, requiredHookTimeout } from '../../guards/claudeSettings.js';
import { inspectHooks } from '../../guards/loadHooks.js';
import { pass, type CheckGroup, type CheckResult } from '../types.js';

const ID = 'claude.settings';
const TITLE = 'exported Claude Code settings still match the workspace';
const FILES = ['.claude/settings.json', '.claude/settings.local.json'];

interface HookEntry {
  event: string;
  command: string;
  timeout: number | undefined;
}

/**
 * The `.claude/settings*.json` of the workspace and of every repo: a
 * `master guard` hook in them must name a node and a build that exist and
 * this workspace, and give the hooks configured now enough time; one written
 * before the hook failed closed (no wrapper) is stale too. Claude Code lets a
 * call through when its hook cannot run or times out.
 */
export const claudeSettingsChecks: CheckGroup = (ctx) => {
  const folders = new Set([ctx.paths.home, ...(ctx.registry?.brands ?? []).flatMap((b) => b.repos.map((r) => path.resolve(ctx.paths.home, r.path)))]);
  const { hooks } = inspectHooks(ctx.paths.hooks);
  const problems: string[] = [];
  let found = 0;
  for (const folder of folders) {
    for (const name of FILES) {
      const file = path.join(folder, name);
      if (!existsSync(file)) continue;
      let entries: HookEntry[];
      try {
        entries = hookEntries(JSON.parse(readFileSync(file, 'utf8')));
      } catch (error) {
        problems.push(`${file} is not valid JSON (${(error as Error).message})`);
        continue;
      }
      for (const entry of entries) {
        const target = parseGuardHookCommand(entry.command);
        if (!target) {
          // A hook written by an older export: `node master.js --home H guard`, which fails open.
          if (/\bguard\b/.test(entry.command) && /--home\b/.test(entry.command)) {
            found++;
            problems.push(`${file}: its ${entry.event} hook runs master guard without the fail-closed wrapper (a missing build lets every call through)`);
          }
          continue;
        }
        found++;
        if (!sameFolder(target.home, ctx.paths.home)) {
          if (!existsSync(target.home)) problems.push(`${file}: the workspace it names, ${target.home}, is gone`);
          continue;
        }
        if (!executable(target.node)) problems.push(`${file}: node ${target.node} is missing`);
        if (!existsSync(target.script)) problems.push(`${file}: the master build ${target.script} is missing (moved?)`);
        const needed = requiredHookTimeout(hooks, entry.event === 'PostToolUse' ? 'PostToolUse' : 'PreToolUse');
        const timeout = entry.timeout ?? 60;
        if (timeout < needed) problems.push(`${file}: the ${entry.event} timeout is ${timeout} s, the hooks configured now need ${needed} s`);
        if (target.within > timeout - GUARD_MARGIN_SECONDS / 2) problems.push(`${file}: master guard may answer after the ${entry.event} timeout (--within ${target.within} s, timeout ${timeout} s)`);
      }
    }
  }
  const result: CheckResult =
    problems.length === 0
      ? pass(ID, TITLE, found === 0 ? 'no exported settings found' : `${found} master guard hook${found === 1 ? '' : 's'} up to date`)
      : {
          id: ID,
          title: TITLE,
          status: 'fail',
          message: problems.join('; '),
          fix: 'run `master hooks export` again and put its output in the file named (a stale hook can let Claude Code calls through unguarded)',
        };
  return [result];
};

function hookEntries(settings: unknown): HookEntry[] {
  const out: HookEntry[] = [];
  const hooks = (settings as { hooks?: Record<string, unknown> } | null)?.hooks;
  if (!hooks || typeof hooks !== 'object') return out;
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    for (const group of groups) {
      const list = (group as { hooks?: unknown })?.hooks;
      if (!Array.isArray(list)) continue;
      for (const hook of list) {
        const { command, timeout } = (hook ?? {}) as { command?: unknown; timeout?: unknown };
        if (typeof command === 'string') out.push({ event, command, timeout: typeof timeout === 'number' ? timeout : undefined });
      }
    }
  }
  return out;
}

function sameFolder(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
