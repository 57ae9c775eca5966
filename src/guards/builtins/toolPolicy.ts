import { existsSync, statSync } from 'node:fs';
import { mcpToolAllowed, parseMcpToolName } from '../../mcp/names.js';
import path from 'node:path';
import type { ToolCall, ToolContext } from '../types.js';
import { KNOWN_TOOLS as RUNTIME_TOOLS, mergeContract } from '../../agents/contracts.js';
import { CONTRACT_NAMES, type ContractName, type Registry } from '../../registry/schema.js';
import { expandBraces, globToRegExp } from '../glob.js';
import { WRITE_TOOL_NAMES, type CallInfo, type PathTouch } from '../callInfo.js';
import type { HookSpec } from '../hookFile.js';
import { READ_ONLY } from './ticketStateGuard.js';

/**
 * The chain's always-on first member, before any path guard:
 *  - a Bash command the analysis could not read within its budget is refused
 *    (an incomplete reading proves nothing);
 *  - only tools master knows pass by default; any other (an MCP tool
 *    `mcp__server__tool`, a tool a newer client adds) only when a hook file's
 *    `allow`, the caller's contract palette or the brand's `mcpServers` names it;
 *  - nothing writes Claude Code's settings (`.claude/`), by any route, since
 *    they can switch the hooks and permissions off.
 */

/** Claude Code's own tools (2.x) and the runtime's: what passes without an allow rule. */
export const KNOWN_TOOL_NAMES: ReadonlySet<string> = new Set([
  'Bash',
  'BashOutput',
  'KillShell',
  'KillBash',
  'Read',
  'Write',
  'Edit',
  'MultiEdit',
  'NotebookEdit',
  'NotebookRead',
  'Glob',
  'Grep',
  'LS',
  'WebFetch',
  'WebSearch',
  'TodoWrite',
  'TodoRead',
  'Task',
  'Agent',
  'ExitPlanMode',
  'SlashCommand',
  'Skill',
  'AskUserQuestion',
  ...RUNTIME_TOOLS,
]);

/** Programs that only read what they name; anything else given a `.claude/` path (an interpreter, git) may write it. */
const SETTINGS_READERS = READ_ONLY;
/** Programs that remove a folder with everything in it (moving into a folder, `cp x .`, is not a write of its .claude). */
const FOLDER_WRITERS = new Set(['rm', 'shred']);

export type ToolPolicyCheck = (call: ToolCall, context: ToolContext, info: CallInfo) => string | null;

/** Builds the check from the enabled hooks (their `allow` lists). */
export function toolPolicy(hooks: HookSpec[]): ToolPolicyCheck {
  const allowRules = hooks.filter((h) => h.enabled).flatMap((h) => (h.allow ?? []).map((rule) => ({ rule, file: h.file })));
  const palettes = new WeakMap<Registry, Map<string, string[]>>();
  const palette = (registry: Registry, agent: string): string[] => {
    if (!(CONTRACT_NAMES as readonly string[]).includes(agent)) return [];
    let byAgent = palettes.get(registry);
    if (!byAgent) palettes.set(registry, (byAgent = new Map()));
    let tools = byAgent.get(agent);
    if (!tools) {
      try {
        tools = mergeContract(registry, agent as ContractName).tools;
      } catch {
        tools = [];
      }
      byAgent.set(agent, tools);
    }
    return tools;
  };
  return (call, context, info) => {
    if (info.overBudget) return `the guard could not check this command in bounded time: ${info.overBudget}`;
    if (!KNOWN_TOOL_NAMES.has(call.name)) {
      // An MCP tool: only a server the caller's brand lists (within its palette) or master's own, for its clients.
      const contract = (CONTRACT_NAMES as readonly string[]).includes(context.agent);
      const allowed =
        allowRules.some(({ rule }) => toolRuleMatches(rule, call.name)) ||
        (parseMcpToolName(call.name)
          ? mcpToolAllowed(context, call.name, contract ? palette(context.registry, context.agent) : undefined) ||
            // A contract that names the server or tool itself (not the `mcp__*` of its brand's servers) allows it too.
            (contract && palette(context.registry, context.agent).some((rule) => rule !== 'mcp__*' && toolRuleMatches(rule, call.name)))
          : palette(context.registry, context.agent).some((rule) => toolRuleMatches(rule, call.name)));
      if (!allowed) return unknownToolReason(call.name);
    }
    const settings = settingsWrite(call, info);
    if (settings) return settings;
    return null;
  };
}

/** `mcp__server` names every tool of the server, `mcp__server__tool` one, `Name` one tool, `prefix*` a family. */
export function toolRuleMatches(rule: string, name: string): boolean {
  if (rule.endsWith('*')) return name.startsWith(rule.slice(0, -1));
  if (rule === name) return true;
  return rule.startsWith('mcp__') && rule.split('__').length === 2 && name.startsWith(`${rule}__`);
}

function unknownToolReason(name: string): string {
  const server = /^(mcp__[^_]+(?:_[^_]+)*?)__/.exec(name)?.[1];
  const rules = server ? `"${server}" (every tool of that server) or "${name}"` : `"${name}"`;
  return `the tool ${name} is not one master knows, and unknown tools are refused by default; to allow it, add ${rules} to "allow" in hooks/deny-rules.json, list it in the contract's "tools" in registry.json${server ? ', or declare the server under the brand\'s "mcpServers"' : ''}`;
}

/** A `.claude` folder or a file under one, by its spelling or its real path. */
function inClaudeSettings(p: string): boolean {
  return p.split('/').includes('.claude');
}

/** A glob that may match a `.claude` folder: one of its segments matches `.claude` (a dot must be spelled out). */
function globMayReachSettings(pattern: string): boolean {
  return expandBraces(pattern).some((alternative) =>
    alternative.split('/').some((segment) => {
      const plain = segment.replace(/\\(.)/g, '$1');
      if (!plain.startsWith('.')) return false;
      return plain === '.claude' || globToRegExp(segment).test('.claude');
    }),
  );
}

function settingsWrite(call: ToolCall, info: CallInfo): string | null {
  const why = (shown: string, by: string) =>
    `${shown}${by !== call.name ? ` (${by})` : ''} is in a .claude folder: Claude Code's settings there can switch hooks and permissions off, so no tool writes them; an operator edits them by hand`;
  if (info.kind === 'file') {
    if (!WRITE_TOOL_NAMES.has(call.name)) return null;
    for (const touch of info.touches) if (inClaudeSettings(touch.path) || inClaudeSettings(info.real(touch.path))) return why(touch.path, call.name);
    return null;
  }
  if (info.kind !== 'bash') return null;
  for (const touch of info.touches) {
    if (touch.unknown) continue;
    const writes = touch.access === 'write' || !SETTINGS_READERS.has(touch.by);
    if (!writes) continue;
    if (touch.glob) {
      if (globMayReachSettings(touch.path)) return why(`the pattern ${touch.path}`, touch.by);
      continue;
    }
    if (inClaudeSettings(touch.path) || inClaudeSettings(info.real(touch.path))) return why(touch.path, touch.by);
    if (touch.access === 'write' && FOLDER_WRITERS.has(touch.by) && holdsSettings(touch, info)) return why(`${touch.path}, which holds a .claude folder,`, touch.by);
  }
  return null;
}

function holdsSettings(touch: PathTouch, info: CallInfo): boolean {
  const real = info.real(touch.path);
  try {
    return statSync(real).isDirectory() && existsSync(path.join(real, '.claude'));
  } catch {
    return false;
  }
}
