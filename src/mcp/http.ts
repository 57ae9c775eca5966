import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { UserError } from '../errors.js';

/** Where the bearer token of `master mcp --http` is kept (the workspace's data folder, owner-only). */
export function tokenFile(dataDir: string): string {
  return path.join(dataDir, 'mcp-token');
}

/** The workspace's token: the one already written (so configured clients keep working), else a new one. */
export function ensureToken(dataDir: string): string {
  const file = tokenFile(dataDir);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(existing)) return existing;
  } catch {
    // none yet
  }
  const token = randomBytes(32).toString('hex');
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

const MAX_BODY = 4 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body over 4 MB'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function jsonError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: status === 401 ? -32001 : -32000, message }, id: null }));
}

export interface HttpMcpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Streamable HTTP on 127.0.0.1 only, at `/mcp`, one MCP server per session.
 * Every request must carry `Authorization: Bearer <token>` (else 401), so
 * another local user or a web page cannot drive the workspace; the Host
 * header must name this loopback address (DNS rebinding).
 */
export async function serveHttp(options: { port: number; token: string; newServer: (sessionId: string) => McpServer; onError?: (message: string) => void }): Promise<HttpMcpServer> {
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
  let allowedHosts: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/mcp') return jsonError(res, 404, 'not found: the MCP endpoint is /mcp');
    if (!authorized(req, options.token)) {
      return jsonError(res, 401, 'unauthorized: send "Authorization: Bearer <token>" with the token in the workspace\'s .master/mcp-token', { 'www-authenticate': 'Bearer realm="master"' });
    }
    const sessionId = req.headers['mcp-session-id'];
    const known = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    if (req.method === 'POST') {
      let body: unknown;
      try {
        body = JSON.parse(await readBody(req));
      } catch (error) {
        return jsonError(res, 400, `parse error: ${(error as Error).message}`);
      }
      if (known) return known.transport.handleRequest(req, res, body);
      if (sessionId !== undefined) return jsonError(res, 404, 'unknown session: initialize again');
      if (!isInitializeRequest(body)) return jsonError(res, 400, 'bad request: no session; the first request must be initialize');
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableDnsRebindingProtection: true,
        allowedHosts,
        onsessioninitialized: (id) => {
          sessions.set(id, { transport, server });
        },
      });
      transport.onclose = () => {
        if (transport.sessionId) sessions.delete(transport.sessionId);
      };
      const server = options.newServer(`mcp-http-${randomUUID().slice(0, 8)}`);
      await server.connect(transport);
      return transport.handleRequest(req, res, body);
    }
    if (!known) return jsonError(res, sessionId === undefined ? 400 : 404, sessionId === undefined ? 'bad request: no session id' : 'unknown session: initialize again');
    return known.transport.handleRequest(req, res);
  };

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error) => {
      options.onError?.(`request failed: ${(error as Error).message}`);
      jsonError(res, 500, `internal error: ${(error as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new UserError(`port ${options.port} is in use on 127.0.0.1; pick another with --http PORT (0 picks a free one)`) : error),
    );
    http.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    async close() {
      for (const { transport, server } of sessions.values()) {
        await transport.close().catch(() => undefined);
        await server.close().catch(() => undefined);
      }
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
