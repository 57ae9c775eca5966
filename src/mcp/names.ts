import type { ToolContext } from '../guards/types.js';

/**
 * MCP tool names and the one predicate that says which MCP tools a caller
 * may use. No SDK import here: the guards and the runtime use it on every call.
 */

/** The server name `master mcp` has for its clients: its tools are `mcp__master__<tool>`. */
export const MASTER_SERVER = 'master';
/** The `agent` of guard contexts for calls made by a client of `master mcp`. */
export const MCP_CLIENT_AGENT = 'mcp-client';

export function masterToolName(tool: string): string {
  return `mcp__${MASTER_SERVER}__${tool}`;
}

/** `mcp__<server>__<tool>` as Claude Code names an MCP tool (server names without `__`). */
export function mcpToolName(server: string, tool: string): string {
  return `mcp__${server}__${tool}`;
}

/** The server and tool of an MCP tool name, or null when it is not one. */
export function parseMcpToolName(name: string): { server: string; tool: string } | null {
  const m = /^mcp__(.+?)__(.+)$/.exec(name);
  return m ? { server: m[1]!, tool: m[2]! } : null;
}

/** Whether a palette entry allows this server's tool: `mcp__*` (the brand's servers), `mcp__server`, `mcp__server__tool`. */
export function paletteAllowsMcp(palette: readonly string[], server: string, tool: string): boolean {
  return palette.some((entry) => entry === 'mcp__*' || entry === `mcp__${server}` || entry === mcpToolName(server, tool));
}

/**
 * Whether an MCP tool is one the caller may use at all (before deny rules,
 * silos and the other guards, which still decide every call):
 *  - a tool of a server the caller's brand lists under `mcpServers`, when the
 *    caller's palette allows it (agents); a caller with no palette (a Claude
 *    Code session of that brand) may use the brand's servers;
 *  - one of `master mcp`'s own tools, for a client of `master mcp`.
 * Any other MCP tool is unknown: denied unless a hook's allow rule names it.
 */
export function mcpToolAllowed(context: Pick<ToolContext, 'registry' | 'brand' | 'agent'>, name: string, palette?: readonly string[]): boolean {
  const parsed = parseMcpToolName(name);
  if (!parsed) return false;
  if (parsed.server === MASTER_SERVER && context.agent === MCP_CLIENT_AGENT) return true;
  const brand = context.brand ? context.registry.brands.find((b) => b.id === context.brand) : undefined;
  if (!brand || !Object.hasOwn(brand.mcpServers, parsed.server)) return false;
  return palette === undefined || paletteAllowsMcp(palette, parsed.server, parsed.tool);
}
