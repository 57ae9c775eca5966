// The tool chain's types live with the guards (src/guards/types.ts); this re-export keeps older imports compiling.
export type { AfterToolHook, BeforeToolHook, GuardDecision, ToolCall, ToolChain, ToolContext, ToolResult, Verdict } from '../guards/types.js';
