/** The guards' public surface: the chain, hooks, silos and the Bash sandbox. */
export { buildGuardChain, type GuardChain, type GuardChainOptions } from './chain.js';
export type { AfterToolHook, BeforeToolHook, GuardDecision, ToolCall, ToolChain, ToolContext, ToolResult, Verdict } from './types.js';
export { inputDigest } from './audit.js';
export { loadHooks, inspectHooks, builtinStatus, parseHookFile, HookFileError } from './loadHooks.js';
export { BUILTIN_GUARDS, HookFileSchema, type HookSpec, type HookFile } from './hookFile.js';
export { compileRule, type CompiledRule } from './rules.js';
export { compileMatcher } from './matcher.js';
export { runHookCommand, decisionOf, hookInput } from './external.js';
export { siloMap, contextBrand, setSiloLayers, type SiloLayerSwitches } from './silo/areas.js';
export { siloDenyRules, siloAdvisory } from './silo/rules.js';
export { sandboxBashArgv, sandboxStatus } from './silo/sandbox.js';
export { siloPathCheck } from './silo/runtimeCheck.js';
export { siloLayers, type SiloLayerReport, type LayerState } from './silo/layers.js';
export { measureGuardLatency, type LatencyReport } from './bench.js';
