import type { AfterToolHook, BeforeToolHook, GuardDecision, ToolCall, ToolChain, ToolContext } from './types.js';
import type { Bus } from '../bus/index.js';
import type { Registry } from '../registry/schema.js';
import type { Store } from '../state/store.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import { GuardAudit } from './audit.js';
import { boundaryGuard } from './builtins/boundaryGuard.js';
import { denyRules } from './builtins/denyRules.js';
import { preMergeGate } from './builtins/preMergeGate.js';
import { ticketStateGuard } from './builtins/ticketStateGuard.js';
import { toolPolicy } from './builtins/toolPolicy.js';
import type { BuiltinEnv, GuardCheck } from './builtins/types.js';
import { worktreeConfinement } from './builtins/worktreeConfinement.js';
import { callInfo } from './callInfo.js';
import { decisionOf, hookInput, runHookCommand } from './external.js';
import type { BuiltinGuardName, HookSpec } from './hookFile.js';
import { loadHooks } from './loadHooks.js';
import { compileMatcher } from './matcher.js';
import { setSiloLayers, type SiloLayerSwitches } from './silo/areas.js';

const BUILTINS: Record<BuiltinGuardName, (env: BuiltinEnv) => GuardCheck> = {
  'worktree-confinement': worktreeConfinement,
  'ticket-state-guard': ticketStateGuard,
  'pre-merge-gate': preMergeGate,
  'boundary-guard': boundaryGuard,
  'deny-rules': denyRules,
};

export interface GuardChainOptions {
  paths: WorkspacePaths;
  registry: Registry;
  /** Where `guard.decision` events are recorded (and, through it, published). */
  store?: Store;
  /** Used when there is no store: decisions are published here. */
  bus?: Bus;
  /** The hooks to run; default: the workspace's `hooks/` (a bad file throws a HookFileError naming it). */
  hooks?: HookSpec[];
  /** Switch silo layers off (tests). Applies to every chain and tool using this registry object. */
  silo?: SiloLayerSwitches;
  /** Only the built-in guards (skip external commands): benchmarks. */
  builtinsOnly?: boolean;
  /** Record decisions (default true). */
  audit?: boolean;
  /** Where allows go: the bus only (default), or the event log too. Refusals always go to the log. */
  auditAllows?: 'bus' | 'log';
  /** The environment external hook commands get (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

/** The runtime's tool chain plus what `master guard`, tests and benchmarks need. */
export interface GuardChain extends ToolChain {
  hooks: HookSpec[];
  /** Runs every before-hook in order: the first deny wins, an ask is kept unless a later hook denies. */
  evaluate(call: ToolCall, context: ToolContext): Promise<GuardDecision>;
  /** Writes the decisions not yet in the event log. */
  flush(): void;
}

const DEFAULT_CONFINEMENT: Omit<HookSpec, 'file'> = { event: 'PreToolUse', matcher: '*', guard: 'worktree-confinement', timeout: 60, enabled: true };

/**
 * Builds the guard chain of a workspace: worktree confinement first (always,
 * even if its hook file is missing or disabled: the runtime's own rule), then
 * the built-in guards of the hook files, then external commands by file name.
 * Every decision is a `guard.decision` event (one per call: the deciding
 * guard's deny or ask, recorded in the event log, or the chain's allow,
 * published on the bus).
 */
export function buildGuardChain(options: GuardChainOptions): GuardChain {
  if (options.silo) setSiloLayers(options.registry, options.silo);
  const hooks = options.hooks ?? loadHooks(options.paths.hooks);
  const audit = options.audit === false ? null : new GuardAudit(options.store, options.bus ?? undefined, options.auditAllows);
  const refused = new WeakSet<ToolCall>();
  const before: BeforeToolHook[] = [];
  const after: AfterToolHook[] = [];

  const record = (call: ToolCall, context: ToolContext, decision: GuardDecision) => {
    if (decision.verdict !== 'allow') refused.add(call);
    audit?.record(call, context, decision);
    return decision;
  };
  const failClosed = (name: string, error: unknown): GuardDecision => ({
    verdict: 'deny',
    guard: name,
    reason: `the guard failed (${error instanceof Error ? error.message : String(error)}); a guard that fails blocks`,
  });

  // Always first, whatever the hook files say: unknown tools, `.claude/` settings, analysis past its budget.
  const policy = toolPolicy(hooks);
  before.push({
    name: 'tool-policy',
    before(call, context) {
      try {
        const reason = policy(call, context, callInfo(call, context));
        return reason === null ? null : record(call, context, { verdict: 'deny', guard: 'tool-policy', reason });
      } catch (error) {
        return record(call, context, failClosed('tool-policy', error));
      }
    },
  });
  const confinementSpec = hooks.find((h) => h.guard === 'worktree-confinement' && h.enabled) ?? { ...DEFAULT_CONFINEMENT, file: 'worktree-confinement.json' };
  const specs = [confinementSpec, ...hooks.filter((h) => h.enabled && h.guard !== 'worktree-confinement')];
  for (const spec of specs) {
    const name = spec.guard ?? `hooks/${spec.file}`;
    const matches = compileMatcher(spec.matcher);
    if (spec.guard) {
      const check = BUILTINS[spec.guard]({ spec, registry: options.registry, paths: options.paths });
      before.push({
        name,
        before(call, context) {
          try {
            if (!matches(call.name)) return null;
            const reason = check(call, context, callInfo(call, context));
            return reason === null ? null : record(call, context, { verdict: 'deny', guard: name, reason });
          } catch (error) {
            return record(call, context, failClosed(name, error));
          }
        },
      });
      continue;
    }
    if (options.builtinsOnly) continue;
    const command = spec.command!;
    if (spec.event === 'PreToolUse') {
      before.push({
        name,
        async before(call, context) {
          if (!matches(call.name)) return null;
          try {
            const run = await runHookCommand(command, hookInput('PreToolUse', call, context), hookOptions(spec, context, options.env));
            const decision = decisionOf(run, name, spec.timeout);
            return decision.verdict === 'allow' ? null : record(call, context, decision);
          } catch (error) {
            return record(call, context, failClosed(name, error));
          }
        },
      });
    } else {
      after.push({
        name,
        async after(call, context, result) {
          if (!matches(call.name)) return;
          const run = await runHookCommand(command, hookInput('PostToolUse', call, context, result), hookOptions(spec, context, options.env));
          const decision = decisionOf(run, name, spec.timeout);
          if (decision.verdict !== 'allow') audit?.record(call, context, decision, 'PostToolUse');
        },
      });
    }
  }
  // Last member: records the chain's allow for a call no guard refused.
  before.push({
    name: 'guard-audit',
    before(call, context) {
      if (!refused.has(call)) audit?.record(call, context, { verdict: 'allow', guard: 'chain', reason: `passed ${before.length - 1} guards` });
      return null;
    },
  });

  return {
    before,
    after,
    hooks,
    async evaluate(call, context) {
      let ask: GuardDecision | null = null;
      for (const hook of before) {
        let decision: GuardDecision | null;
        try {
          const answer = hook.before(call, context);
          // Built-ins answer synchronously: awaiting only real promises keeps the chain off the microtask queue.
          decision = answer instanceof Promise ? await answer : answer;
        } catch (error) {
          decision = record(call, context, failClosed(hook.name, error));
        }
        if (!decision) continue;
        if (decision.verdict === 'deny') return decision;
        if (decision.verdict === 'ask' && !ask) ask = decision;
      }
      return ask ?? { verdict: 'allow', guard: 'chain', reason: 'every guard passed' };
    },
    flush() {
      audit?.flush();
    },
  };
}

function hookOptions(spec: HookSpec, context: ToolContext, env: NodeJS.ProcessEnv | undefined) {
  return { cwd: context.cwd, projectDir: context.root, timeoutSeconds: spec.timeout, env, signal: context.signal };
}
