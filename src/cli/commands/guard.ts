import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { GuardDecision, ToolCall, ToolContext } from '../../guards/types.js';
import { UserError } from '../../errors.js';
import { findBrand, loadRegistryFile } from '../../registry/load.js';
import type { Registry } from '../../registry/schema.js';
import { Store } from '../../state/store.js';
import { findWorkspaceAbove, workspacePaths, type WorkspacePaths } from '../../workspace/paths.js';
import { buildGuardChain } from '../../guards/chain.js';
import { loadHooks } from '../../guards/loadHooks.js';
import { claudeSettings, GUARD_MARGIN_SECONDS } from '../../guards/claudeSettings.js';
import { isInside, resolveReal } from '../../guards/pathPolicy.js';
import { err, out } from '../output.js';

/** Exit codes of the Claude Code hook protocol: 0 lets the call through, 2 blocks it. */
const ALLOW = 0;
const BLOCK = 2;

interface HookInput {
  session_id?: string;
  transcript_path?: string;
  cwd?: string;
  hook_event_name?: string;
  tool_name?: string;
  tool_input?: Record<string, unknown>;
  tool_use_id?: string;
  tool_response?: unknown;
}

/**
 * `master guard`: a Claude Code hook command. Reads the hook JSON on stdin,
 * runs the workspace's guard chain for it and answers in the protocol. Every
 * failure of its own exits 2, because Claude Code lets a call through on any
 * other exit code: a guard that cannot decide blocks.
 */
export function guardCommand(home: () => string | undefined) {
  return async (options: { within?: string } = {}): Promise<number> => {
    const failClosed = (message: string) => {
      err(`master guard: ${message} (blocked: a guard that cannot decide blocks)`);
      process.exitCode = BLOCK;
    };
    // The self-deadline: answer deny before Claude Code's timeout, which would let the call through.
    const within = options.within === undefined ? DEFAULT_WITHIN_SECONDS : Number(options.within);
    if (!Number.isFinite(within) || within <= 0) {
      failClosed(`--within must be a number of seconds greater than 0, not ${JSON.stringify(options.within)}`);
      return BLOCK;
    }
    const abort = new AbortController();
    const deadline = setTimeout(() => {
      abort.abort();
      failClosed(`stopped at its deadline of ${within} s before the hook's timeout (a hook command took too long); if hooks were added since \`master hooks export\`, export again`);
      process.exit(BLOCK);
    }, within * 1000);
    // Errors thrown later on the event loop must still exit 2.
    process.on('uncaughtException', (error) => {
      failClosed(`internal error: ${error.message}`);
      process.exit(BLOCK);
    });
    try {
      return await runGuard(home(), abort.signal);
    } catch (error) {
      failClosed(error instanceof Error ? error.message : String(error));
      return BLOCK;
    } finally {
      clearTimeout(deadline);
    }
  };
}

/** Without `--within` (a hook written before it existed): below Claude Code's default timeout of 60 s. */
const DEFAULT_WITHIN_SECONDS = 60 - GUARD_MARGIN_SECONDS;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UserError('expects the Claude Code hook JSON on stdin (it is run by Claude Code, see `master hooks export`)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseInput(text: string): HookInput {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UserError(`stdin is not valid JSON (${(error as Error).message})`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new UserError('stdin is not a JSON object');
  const input = data as HookInput;
  if (typeof input.tool_name !== 'string' || !input.tool_name) throw new UserError('the hook JSON has no "tool_name"');
  if (input.tool_input !== undefined && (typeof input.tool_input !== 'object' || input.tool_input === null)) {
    throw new UserError('"tool_input" is not an object');
  }
  return input;
}

/** The workspace: --home, else MASTER_HOME, else the nearest folder above `start` with a registry.json. */
export function findWorkspaceHome(option: string | undefined, start: string): string {
  if (option) return path.resolve(option);
  if (process.env.MASTER_HOME) return path.resolve(process.env.MASTER_HOME);
  const found = findWorkspaceAbove(start);
  if (!found) throw new UserError(`no workspace (registry.json) above ${start}; pass --home DIR or set MASTER_HOME`);
  return found;
}

/** The git top level of a folder (its nearest ancestor with `.git`), else the folder itself. */
export function gitTopLevel(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, '.git'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

/** Brand, repo and ticket of a folder: a ticket worktree `.master/worktrees/<repo>/<ticket>`, or a repo checkout. */
function locate(paths: WorkspacePaths, registry: Registry, cwd: string): { brand?: string; repo?: string; ticketId?: string } {
  const real = resolveReal(cwd, cwd);
  const worktrees = resolveReal(paths.worktrees, paths.home);
  if (isInside(real, worktrees) && real !== worktrees) {
    const [repoId, ticketId] = path.relative(worktrees, real).split(path.sep);
    const brand = registry.brands.find((b) => b.repos.some((r) => r.id === repoId));
    if (brand) return { brand: brand.id, repo: repoId, ticketId };
  }
  let best: { brand: string; repo: string; length: number } | undefined;
  for (const brand of registry.brands) {
    for (const repo of brand.repos) {
      const root = resolveReal(path.resolve(paths.home, repo.path), paths.home);
      if (isInside(real, root) && (!best || root.length > best.length)) best = { brand: brand.id, repo: repo.id, length: root.length };
    }
  }
  return best ? { brand: best.brand, repo: best.repo } : {};
}

async function runGuard(homeOption: string | undefined, signal: AbortSignal): Promise<number> {
  const input = parseInput(await readStdin());
  const cwd = input.cwd && path.isAbsolute(input.cwd) ? input.cwd : process.cwd();
  if (!statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) throw new UserError(`the hook's cwd ${cwd} is not a folder`);
  const paths = workspacePaths(findWorkspaceHome(homeOption, cwd));
  const registry = loadRegistryFile(paths.registry);
  const store = await Store.open(paths);
  try {
    const where = locate(paths, registry, cwd);
    const context: ToolContext = {
      paths,
      registry,
      root: gitTopLevel(resolveReal(cwd, cwd)),
      cwd,
      agent: 'claude-code',
      sessionId: input.session_id ?? 'claude-code',
      signal,
      ...(input.transcript_path ? { transcriptPath: input.transcript_path } : {}),
      ...(where.brand ? { brand: where.brand } : {}),
      ...(where.repo ? { repo: where.repo } : {}),
      ...(where.ticketId && store.state.tickets[where.ticketId] ? { ticket: store.state.tickets[where.ticketId] } : {}),
    };
    const chain = buildGuardChain({ paths, registry, store });
    const call: ToolCall = { id: input.tool_use_id ?? 'claude-code', name: input.tool_name!, input: input.tool_input ?? {} };
    if (input.hook_event_name === 'PostToolUse') {
      const response = input.tool_response;
      const content = typeof response === 'string' ? response : JSON.stringify(response ?? '');
      for (const hook of chain.after) await hook.after(call, context, { content, isError: false });
      chain.flush();
      return ALLOW;
    }
    const decision = await chain.evaluate(call, context);
    chain.flush();
    return answer(decision);
  } finally {
    await store.close({ snapshotIfBehind: 500 });
  }
}

function answer(decision: GuardDecision): number {
  if (decision.verdict === 'deny') {
    err(`${decision.reason} [master guard: ${decision.guard}]`);
    return BLOCK;
  }
  if (decision.verdict === 'ask') {
    out(
      JSON.stringify({
        hookSpecificOutput: { hookEventName: 'PreToolUse', permissionDecision: 'ask', permissionDecisionReason: `${decision.reason} [master guard: ${decision.guard}]` },
      }),
    );
  }
  // Allow: no output, so Claude Code's own permission settings still apply.
  return ALLOW;
}

/** `master hooks export`: the `.claude/settings.json` content that makes Claude Code run `master guard` (see claudeSettings). */
export function hooksExportCommand(home: () => string | undefined) {
  return async (options: { brand?: string }): Promise<void> => {
    const paths = workspacePaths(findWorkspaceHome(home(), process.cwd()));
    const registry = loadRegistryFile(paths.registry);
    if (options.brand) findBrand(registry, options.brand);
    // Absolute node and script; the wrapper turns a missing one (127) or a moved build (1) into a block.
    const script = process.argv[1] ? realpathSync(process.argv[1]) : 'master';
    const settings = claudeSettings({ paths, registry, hooks: loadHooks(paths.hooks), node: process.execPath, script, ...(options.brand ? { brand: options.brand } : {}) });
    out(JSON.stringify(settings, null, 2));
  };
}
