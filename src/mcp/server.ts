import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation';
import type { GuardDecision, ToolCall, ToolContext } from '../guards/types.js';
import { errorMessage, UserError } from '../errors.js';
import type { GuardChain } from '../guards/chain.js';
import type { Workspace } from '../workspace/open.js';
import { mcpScope, type McpScope } from './scope.js';
import { MCP_TOOLS, readPage, type McpTool, type McpToolEnv } from './tools.js';
import { MCP_CLIENT_AGENT, masterToolName } from './names.js';

declare const MASTER_VERSION: string | undefined;

export interface MasterServerOptions {
  ws: Workspace;
  /** The guard chain every call passes (as PreToolUse, tool `mcp__master__<tool>`). */
  chain: GuardChain;
  /** Scope the client to what an agent of this brand may see (silo walls hold). */
  brand?: string;
  /** Names this connection in guard decisions (`session`). */
  sessionId: string;
}

const INSTRUCTIONS = [
  'Master OS: tickets, wiki, registry and doctor of one workspace where AI agents work on tickets across many git repos.',
  'Tickets move through one state machine: triage → (approve) → ready → running → review → merging → merged; agents and the merge gate move them after approval.',
  'Start with registry_list (brand and repo ids) and tickets_list; file work with ticket_create, approve it with ticket_transition.',
  'Every call passes the workspace guard chain; a refused call says which guard refused it and why.',
].join(' ');

/**
 * The SDK's default validator builds an Ajv instance with all its formats for
 * every server, some milliseconds of each start; it only serves elicitation,
 * which these tools never ask for, so it is built on first use.
 */
function lazyValidator(): jsonSchemaValidator {
  let ajv: AjvJsonSchemaValidator | undefined;
  return { getValidator: (schema) => (ajv ??= new AjvJsonSchemaValidator()).getValidator(schema) };
}

function textResult(text: string, isError: boolean, structured?: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text }], ...(structured ? { structuredContent: structured } : {}), ...(isError ? { isError: true } : {}) };
}

/**
 * One MCP server for one client connection: the tools of MCP_TOOLS and the
 * wiki pages as `wiki://<page>` resources, every call first through the
 * guard chain (a deny or an ask is an isError result naming the guard),
 * then the tool; a user error or a crash of a tool is an isError result,
 * never the end of the server.
 */
export function createMasterServer(options: MasterServerOptions): McpServer {
  const { ws, chain } = options;
  const scope: McpScope = mcpScope(ws.registry, options.brand);
  const version = typeof MASTER_VERSION === 'string' ? MASTER_VERSION : '0.0.0-dev';
  const server = new McpServer({ name: 'master', title: 'Master OS', version }, { instructions: INSTRUCTIONS, capabilities: { tools: {}, resources: {} }, jsonSchemaValidator: lazyValidator() });
  let calls = 0;
  const env = (): McpToolEnv => {
    const client = server.server.getClientVersion()?.name;
    return { ws, scope, actor: `mcp:${client ?? 'client'}` };
  };
  const context: ToolContext = {
    paths: ws.paths,
    registry: ws.registry,
    root: ws.paths.home,
    cwd: ws.paths.home,
    ...(scope.brand ? { brand: scope.brand } : {}),
    agent: MCP_CLIENT_AGENT,
    sessionId: options.sessionId,
  };

  /** The chain's verdict on a call; a guard that throws refuses (fail closed). */
  const decide = async (tool: string, input: Record<string, unknown>): Promise<GuardDecision> => {
    const call: ToolCall = { id: `${options.sessionId}-${++calls}`, name: masterToolName(tool), input };
    try {
      return await chain.evaluate(call, context);
    } catch (error) {
      return { verdict: 'deny', guard: 'guard-chain', reason: `the guard chain failed (${errorMessage(error)}); a guard that fails blocks` };
    }
  };
  const refusal = (tool: string, decision: GuardDecision): string =>
    decision.verdict === 'ask'
      ? `${masterToolName(tool)} needs the operator's approval (${decision.guard}: ${decision.reason}); an MCP call cannot wait for it, so it was not run`
      : `${masterToolName(tool)} was refused by ${decision.guard}: ${decision.reason}`;

  const register = (tool: McpTool) => {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: { readOnlyHint: tool.readOnly, destructiveHint: false, idempotentHint: tool.readOnly, openWorldHint: false },
      },
      async (args: Record<string, unknown>): Promise<CallToolResult> => {
        const decision = await decide(tool.name, args ?? {});
        if (decision.verdict !== 'allow') return textResult(refusal(tool.name, decision), true);
        try {
          const out = await tool.run(args ?? {}, env());
          return textResult(out.text, false, out.structured);
        } catch (error) {
          if (error instanceof UserError) return textResult(error.message, true);
          return textResult(`${tool.name} failed: ${errorMessage(error)}`, true);
        }
      },
    );
  };
  for (const tool of MCP_TOOLS) register(tool);

  server.registerResource(
    'wiki',
    new ResourceTemplate('wiki://{+page}', {
      list: async () => {
        const { Wiki } = await import('../wiki/wiki.js');
        const pages = Wiki.open(ws.paths).restrictedTo(scope.pageVisible).pages;
        return { resources: pages.map((p) => ({ uri: `wiki://${p.name}`, name: p.name, title: p.title, mimeType: 'text/markdown' })) };
      },
    }),
    { title: 'Wiki pages', description: 'The workspace wiki, one Markdown page per resource (wiki://brand/page).', mimeType: 'text/markdown' },
    async (uri, variables) => {
      const name = decodeURIComponent(String(variables.page ?? ''));
      // A resource read is a wiki_read: the same guards decide.
      const decision = await decide('wiki_read', { page: name });
      if (decision.verdict !== 'allow') throw new Error(refusal('wiki_read', decision));
      const page = await readPage(env(), name);
      return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: page.text }] };
    },
  );
  return server;
}
