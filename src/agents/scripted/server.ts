import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoModelTurn } from './demoModel.js';
import type { ModelScript, ScriptTurn } from './script.js';

/** What the server saw of one request (kept when `record` is on, for tests). */
export interface RecordedRequest {
  ticket: string | null;
  turn: number;
  stream: boolean;
  body: Record<string, unknown>;
}

export interface ScriptedServer {
  /** The base URL to give the SDK (`http://127.0.0.1:PORT`). */
  url: string;
  requests: RecordedRequest[];
  /** Replaces the script (error counters start over). */
  setScript(script: ModelScript): void;
  close(): Promise<void>;
}

export interface ScriptedServerOptions {
  /** Keep every request body in `requests`. */
  record?: boolean;
  /** Milliseconds between streamed chunks (the demo slows down so a person can follow). */
  paceMs?: number;
}

/** The header the runtime sets so the server knows which ticket's script to replay. */
export const TICKET_HEADER = 'x-master-ticket';
const ENDED: ScriptTurn = { text: 'The scripted demo model has no more turns for this ticket.' };

interface Block {
  type: 'text' | 'tool_use';
  text?: string;
  id?: string;
  name?: string;
  input?: Record<string, unknown>;
}

const ERRORS: Record<number, { type: string; message: string }> = {
  401: { type: 'authentication_error', message: 'invalid x-api-key (the scripted demo model was told to reject it)' },
  429: { type: 'rate_limit_error', message: 'rate limited (scripted)' },
  500: { type: 'api_error', message: 'internal server error (scripted)' },
  529: { type: 'overloaded_error', message: 'Overloaded (scripted)' },
};

let idCounter = 0;
function nextId(prefix: string): string {
  idCounter++;
  return `${prefix}_scripted${Date.now().toString(36)}${idCounter.toString(36)}`;
}

function tokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

function firstUserText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string; content?: unknown }>) : [];
  const first = messages.find((m) => m.role === 'user');
  if (!first) return '';
  if (typeof first.content === 'string') return first.content;
  if (Array.isArray(first.content)) {
    return first.content.map((b: { type?: string; text?: string }) => (b.type === 'text' ? (b.text ?? '') : '')).join('\n');
  }
  return '';
}

/** Which script entry a request belongs to: the header's ticket id, else a title found in the first user message. */
function scriptKey(script: ModelScript, ticketHeader: string | undefined, body: Record<string, unknown>): string | null {
  if (ticketHeader && script.tickets[ticketHeader]) return ticketHeader;
  const text = firstUserText(body);
  let best: string | null = null;
  for (const key of Object.keys(script.tickets)) {
    if (text.includes(key) && (!best || key.length > best.length)) best = key;
  }
  return best;
}

function assistantTurns(body: Record<string, unknown>): number {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<{ role?: string }>) : [];
  return messages.filter((m) => m.role === 'assistant').length;
}

function blocksOf(turn: ScriptTurn): Block[] {
  const blocks: Block[] = [];
  if (turn.text) blocks.push({ type: 'text', text: turn.text });
  for (const tool of turn.tools ?? []) blocks.push({ type: 'tool_use', id: nextId('toolu'), name: tool.name, input: tool.input });
  if (blocks.length === 0) blocks.push({ type: 'text', text: '' });
  return blocks;
}

function chunks(text: string, size: number): string[] {
  if (text.length <= size) return [text];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * A loopback server that speaks the Messages API (`POST /v1/messages`,
 * streaming and not) and answers from a script: the "scripted demo model".
 */
export async function startScriptedServer(initial: ModelScript, options: ScriptedServerOptions = {}): Promise<ScriptedServer> {
  let script = initial;
  const errorCounts = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const pace = options.paceMs ?? 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // Claude Code counts tokens before some requests: an estimate (about 4 characters a token) answers it.
    if (req.method === 'POST' && url.pathname === '/v1/messages/count_tokens') {
      const counted = await readBody(req);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: tokens(counted) }));
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
      sendError(res, 404, 'not_found_error', `the scripted demo model only answers POST /v1/messages (got ${req.method} ${url.pathname})`);
      return;
    }
    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      sendError(res, 400, 'invalid_request_error', 'the body is not JSON');
      return;
    }
    const header = req.headers[TICKET_HEADER];
    const key = scriptKey(script, typeof header === 'string' ? header : undefined, body);
    const turnIndex = assistantTurns(body);
    const improvised = !key && script.unscripted === 'demo' ? demoModelTurn(body) : null;
    const turns = key ? script.tickets[key]! : (script.fallback ?? []);
    const turn = improvised ?? turns[turnIndex] ?? ENDED;
    const stream = body.stream === true;
    if (options.record) requests.push({ ticket: key, turn: turnIndex, stream, body });
    if (turn.delayMs) await sleep(turn.delayMs);

    if (turn.error) {
      const counter = `${key ?? '(fallback)'}#${turnIndex}`;
      const seen = errorCounts.get(counter) ?? 0;
      if (turn.error.times === undefined || seen < turn.error.times) {
        errorCounts.set(counter, seen + 1);
        const kind = turn.error.kind;
        if (kind === 'drop') {
          req.socket.destroy();
          return;
        }
        if (kind !== 'drop-mid-stream') {
          const { type, message } = ERRORS[kind]!;
          sendError(res, kind, type, message);
          return;
        }
        if (!stream) {
          req.socket.destroy();
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(sse('message_start', { type: 'message_start', message: messageShell(body, 1) }));
        setTimeout(() => res.socket?.destroy(), 5);
        return;
      }
    }

    const blocks = blocksOf(turn);
    const hasTools = blocks.some((b) => b.type === 'tool_use');
    const outputText = JSON.stringify(blocks);
    const usage = {
      input_tokens: turn.usage?.input ?? tokens(raw),
      output_tokens: turn.usage?.output ?? tokens(outputText),
      cache_creation_input_tokens: turn.usage?.cacheWrite ?? 0,
      cache_read_input_tokens: turn.usage?.cacheRead ?? 0,
    };
    const stopReason = hasTools ? 'tool_use' : 'end_turn';
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': nextId('req') });
      res.end(
        JSON.stringify({
          ...messageShell(body, usage.input_tokens),
          content: blocks.map(blockJson),
          stop_reason: stopReason,
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': nextId('req') });
    const start = messageShell(body, usage.input_tokens);
    start.usage = { ...usage, output_tokens: 1 };
    const parts: string[] = [sse('message_start', { type: 'message_start', message: start }), sse('ping', { type: 'ping' })];
    const flush = async () => {
      if (parts.length === 0) return;
      res.write(parts.join(''));
      parts.length = 0;
      await sleep(pace);
    };
    for (const [index, block] of blocks.entries()) {
      if (block.type === 'text') {
        parts.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
        for (const piece of chunks(block.text ?? '', pace ? 12 : 400)) {
          parts.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } }));
          if (pace) await flush();
        }
      } else {
        parts.push(
          sse('content_block_start', {
            type: 'content_block_start',
            index,
            content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
          }),
        );
        const json = JSON.stringify(block.input ?? {});
        const half = Math.ceil(json.length / 2);
        for (const piece of [json.slice(0, half), json.slice(half)]) {
          parts.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } }));
        }
        if (pace) await flush();
      }
      parts.push(sse('content_block_stop', { type: 'content_block_stop', index }));
    }
    parts.push(
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      }),
      sse('message_stop', { type: 'message_stop' }),
    );
    res.end(parts.join(''));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'api_error', `scripted demo model failed: ${String(error)}`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript(next) {
      script = next;
      errorCounts.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function messageShell(body: Record<string, unknown>, inputTokens: number): Record<string, unknown> {
  return {
    id: nextId('msg'),
    type: 'message',
    role: 'assistant',
    model: typeof body.model === 'string' ? body.model : 'scripted-demo',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

function blockJson(block: Block): Record<string, unknown> {
  return block.type === 'text' ? { type: 'text', text: block.text ?? '' } : { type: 'tool_use', id: block.id, name: block.name, input: block.input ?? {} };
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-should-retry': status >= 500 || status === 429 ? 'true' : 'false' });
  res.end(JSON.stringify({ type: 'error', error: { type, message } }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => parts.push(chunk));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}
