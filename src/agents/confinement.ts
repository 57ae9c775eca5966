import path from 'node:path';
import { errorMessage } from '../errors.js';
import { buildGuardChain } from '../guards/chain.js';
import { checkPathAccess, resolveReal } from '../guards/pathPolicy.js';
import type { Workspace } from '../workspace/open.js';
import type { AgentContract } from './contracts.js';
import type { BeforeToolHook, GuardDecision, ToolCall, ToolChain, ToolContext } from '../guards/types.js';
import { globsAllow } from './tools/globMatch.js';
import { getTool } from './tools/index.js';

const GUARD = 'worktree-confinement';

/** Confines every path a tool call touches to the context's root (the ticket's worktree); first in every chain. */
export const worktreeConfinement: BeforeToolHook = {
  name: GUARD,
  before(call: ToolCall, context: ToolContext): GuardDecision | null {
    const tool = getTool(call.name);
    if (!tool) return null;
    let touched;
    try {
      touched = tool.paths(call.input, context);
    } catch {
      return null;
    }
    if (touched.length === 0) return null;
    for (const target of touched) {
      const check = checkPathAccess(context, target.path, target.access);
      if (!check.ok) return { verdict: 'deny', guard: GUARD, reason: check.reason };
    }
    return { verdict: 'allow', guard: GUARD, reason: 'every path is inside the worktree' };
  },
};

/** Why a write is outside the contract's write authority, or null when it is allowed. */
export function writeAuthorityRefusal(contract: AgentContract, context: ToolContext, target: string): string | null {
  const real = resolveReal(target, context.cwd);
  const root = resolveReal(context.root, context.cwd);
  const relative = path.relative(root, real).split(path.sep).join('/');
  // Outside the worktree is confinement's to refuse (and to explain); authority is about paths inside it.
  if (relative === '..' || relative.startsWith('../') || path.isAbsolute(relative)) return null;
  if (globsAllow(contract.writePaths, relative)) return null;
  const authority = contract.writePaths.length ? contract.writePaths.join(', ') : 'none (read-only)';
  return `the ${contract.name} contract may not write ${relative || '.'}; its write authority: ${authority}`;
}

/** The first write among a call's paths that the contract has no authority for, or null. */
export function firstWriteRefusal(contract: AgentContract, context: ToolContext, touched: Iterable<{ path: string; access: string }>): string | null {
  for (const target of touched) {
    if (target.access !== 'write') continue;
    const reason = writeAuthorityRefusal(contract, context, target.path);
    if (reason) return reason;
  }
  return null;
}

/** One member's decision on a call; a member that throws blocks the call (fails closed). */
export async function hookDecision(hook: BeforeToolHook, call: ToolCall, context: ToolContext): Promise<GuardDecision | null> {
  try {
    return await hook.before(call, context);
  } catch (error) {
    return { verdict: 'deny', guard: hook.name, reason: `the guard failed (${errorMessage(error)}), so the call is blocked` };
  }
}

/**
 * The tool chain every agent and script run of this workspace passes: worktree
 * confinement, then the workspace's guards. Built here from the workspace
 * itself, so there is no unguarded chain to get by forgetting a setup step.
 */
export function toolChainFor(ws: Pick<Workspace, 'paths' | 'registry' | 'store'>): ToolChain {
  const chain: ToolChain = buildGuardChain({ paths: ws.paths, registry: ws.registry, store: ws.store });
  if (chain.before[0]?.name !== GUARD) chain.before.unshift(worktreeConfinement);
  return chain;
}
