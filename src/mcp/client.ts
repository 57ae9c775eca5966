import type { Tool as ModelTool } from '@anthropic-ai/sdk/resources/messages/messages.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod/mini';
import type { ToolContext } from '../guards/types.js';
import { bashEnv, bashLaunch, OUTPUT_CAP } from '../agents/tools/spawnBash.js';
import type { ToolDefinition } from '../agents/tools/types.js';
import { errorMessage, UserError } from '../errors.js';
import type { McpServerConfig } from '../registry/schema.js';
import { mcpToolName, paletteAllowsMcp } from './names.js';

/**
 * A brand's MCP servers (`mcpServers` in registry.json) as tools of one
 * agent run: started when the run starts (stdio servers through the same
 * OS sandbox as the agent's Bash, in its worktree, without model
 * credentials), their tools offered as `mcp__<server>__<tool>` when the
 * contract's palette allows them, every call through the run's tool runner
 * (palette, the guard chain), and all of them stopped when the run ends.
 */

const CONNECT_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 120_000;

export class McpServerStartError extends UserError {
  constructor(server: string, brand: string, why: string) {
    super(`the MCP server "${server}" of brand "${brand}" could not start: ${why}; check its entry under mcpServers in registry.json`);
    this.name = 'McpServerStartError';
  }
}

interface Connected {
  name: string;
  client: Client;
  stderr: () => string;
  /** Set when the server went away during the run. */
  gone: string | null;
}

export interface RunMcpTools {
  /** The tools as the Messages API declares them (the servers' own JSON Schemas). */
  schemas: ModelTool[];
  /** By name (`mcp__server__tool`), for the tool runner. */
  definitions: Map<string, ToolDefinition<Record<string, unknown>>>;
  close(): Promise<void>;
}

/** Keeps the last few KB a server wrote to stderr, for the error that names why it stopped. */
function stderrTail(transport: StdioClientTransport): () => string {
  let tail = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-2000);
  });
  return () => tail.trim();
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

async function connect(name: string, config: McpServerConfig, context: ToolContext): Promise<Connected> {
  let transport: Transport;
  let stderr = () => '';
  if (config.type === 'http') {
    transport = new StreamableHTTPClientTransport(new URL(config.url), { requestInit: { headers: config.headers } });
  } else {
    // `exec` through the Bash launch: the server runs in the same OS sandbox as any agent command (or not at all).
    const launch = bashLaunch(context, `exec ${[config.command, ...config.args].map(shellQuote).join(' ')}`);
    if (!launch.ok) throw new McpServerStartError(name, context.brand ?? '?', launch.reason);
    const env = { ...bashEnv(context), ...launch.env, ...config.env };
    const stdio = new StdioClientTransport({
      command: launch.file,
      args: launch.args,
      cwd: context.cwd,
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string')),
      stderr: 'pipe',
    });
    stderr = stderrTail(stdio);
    transport = stdio;
  }
  const client = new Client({ name: 'master', version: '1' });
  const connected: Connected = { name, client, stderr, gone: null };
  client.onclose = () => {
    connected.gone ??= `the server stopped${stderr() ? ` (its last output: ${stderr().slice(-500)})` : ''}`;
  };
  try {
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
  } catch (error) {
    await client.close().catch(() => undefined);
    const tail = stderr();
    throw new McpServerStartError(name, context.brand ?? '?', `${errorMessage(error)}${tail ? ` (its output: ${tail.slice(-500)})` : ''}`);
  }
  return connected;
}

/** A tool result as the text the model reads: the text blocks, else the structured content, capped. */
function resultText(result: CallToolResult): string {
  const parts = (result.content ?? []).map((block) => {
    if (block.type === 'text') return block.text;
    if (block.type === 'resource' && 'text' in block.resource) return String(block.resource.text);
    return `[${block.type} content]`;
  });
  let text = parts.join('\n').trim();
  if (!text && result.structuredContent) text = JSON.stringify(result.structuredContent);
  if (!text) text = '(no output)';
  return text.length > OUTPUT_CAP ? `${text.slice(0, OUTPUT_CAP)}\n… (cut at ${OUTPUT_CAP} characters)` : text;
}

function definition(server: Connected, tool: { name: string; description?: string }): ToolDefinition<Record<string, unknown>> {
  const name = mcpToolName(server.name, tool.name);
  return {
    name,
    description: `[MCP server ${server.name}] ${tool.description ?? tool.name}`,
    // The server validates its own input; here it only has to be an object.
    input: z.record(z.string(), z.unknown()),
    // What an MCP tool touches is the server's business, inside its own sandbox.
    paths: () => [],
    async run(input, context) {
      if (server.gone) return { content: `${name} is unavailable: ${server.gone}`, isError: true };
      try {
        const result = (await server.client.callTool({ name: tool.name, arguments: input }, undefined, {
          timeout: CALL_TIMEOUT_MS,
          ...(context.signal ? { signal: context.signal } : {}),
        })) as CallToolResult;
        return { content: resultText(result), isError: result.isError === true };
      } catch (error) {
        const why = server.gone ?? errorMessage(error);
        return { content: `${name} failed: ${why}`, isError: true };
      }
    },
  };
}

/**
 * Starts the servers the brand lists whose tools the palette allows, and
 * lists their tools. A server that cannot start stops the others and throws
 * McpServerStartError (the run fails with that reason); none listed or none
 * allowed: no process is started.
 */
export async function openRunMcpTools(servers: Record<string, McpServerConfig>, palette: readonly string[], context: ToolContext): Promise<RunMcpTools> {
  const wanted = Object.entries(servers).filter(([name]) => palette.some((p) => p === 'mcp__*' || p === `mcp__${name}` || p.startsWith(`mcp__${name}__`)));
  const connected: Connected[] = [];
  const close = async () => {
    await Promise.all(connected.map((c) => c.client.close().catch(() => undefined)));
  };
  const schemas: ModelTool[] = [];
  const definitions = new Map<string, ToolDefinition<Record<string, unknown>>>();
  try {
    for (const [name, config] of wanted) {
      const server = await connect(name, config, context);
      connected.push(server);
      let tools;
      try {
        tools = (await server.client.listTools(undefined, { timeout: CONNECT_TIMEOUT_MS })).tools;
      } catch (error) {
        throw new McpServerStartError(name, context.brand ?? '?', `it did not list its tools (${errorMessage(error)})`);
      }
      for (const tool of tools) {
        // The Messages API takes tool names of letters, digits, _ and - (at most 128).
        if (!paletteAllowsMcp(palette, name, tool.name) || !/^[A-Za-z0-9_-]{1,128}$/.test(mcpToolName(name, tool.name))) continue;
        const def = definition(server, tool);
        definitions.set(def.name, def);
        schemas.push({ name: def.name, description: def.description, input_schema: { ...tool.inputSchema, type: 'object' } as ModelTool['input_schema'] });
      }
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { schemas, definitions, close };
}
