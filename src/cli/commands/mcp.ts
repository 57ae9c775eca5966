import { randomUUID } from 'node:crypto';
import { UserError } from '../../errors.js';
import { buildGuardChain } from '../../guards/chain.js';
import { mcpScope } from '../../mcp/scope.js';
import { openWorkspace } from '../../workspace/open.js';
import { err } from '../output.js';

interface McpOptions {
  brand?: string;
  http?: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new UserError(`--http wants a port number from 0 to 65535 (0 picks a free one), not "${text}"`);
  return port;
}

/**
 * `master mcp`: serves the workspace to MCP clients, over stdio (the
 * default; stdout is the protocol, so everything else goes to stderr) or
 * Streamable HTTP on loopback with a bearer token. Runs until the client
 * closes stdin, or until SIGINT/SIGTERM.
 */
export function mcpCommand(home: () => string | undefined) {
  return async (options: McpOptions): Promise<void> => {
    const port = options.http === undefined ? null : parsePort(options.http);
    const ws = await openWorkspace(home());
    for (const notice of ws.store.notices) err(`note: ${notice}`);
    // Both checked before serving: a bad --brand or a broken hook file never yields an unguarded server.
    mcpScope(ws.registry, options.brand);
    const chain = buildGuardChain({ paths: ws.paths, registry: ws.registry, store: ws.store });
    const { createMasterServer } = await import('../../mcp/server.js');
    const newServer = (sessionId: string) => createMasterServer({ ws, chain, sessionId, ...(options.brand ? { brand: options.brand } : {}) });

    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    let close: () => Promise<void>;
    if (port === null) {
      const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
      const server = newServer(`mcp-stdio-${randomUUID().slice(0, 8)}`);
      const transport = new StdioServerTransport();
      transport.onclose = () => stop();
      // The client closing our stdin is the end of the conversation.
      process.stdin.once('end', () => stop());
      // A client that went away (EPIPE on our stdout) ends it too, quietly: not a crash.
      process.stdout.on('error', () => stop());
      await server.connect(transport);
      close = () => server.close();
    } else {
      const { ensureToken, serveHttp, tokenFile } = await import('../../mcp/http.js');
      const token = ensureToken(ws.paths.data);
      const http = await serveHttp({ port, token, newServer, onError: (message) => err(`master mcp: ${message}`) });
      err(`master mcp: serving ${http.url} (send "Authorization: Bearer <token>"; the token is in ${tokenFile(ws.paths.data)})`);
      close = () => http.close();
    }
    const onSignal = () => stop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    await stopped;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await close().catch(() => undefined);
    chain.flush();
    await ws.store.close();
  };
}
