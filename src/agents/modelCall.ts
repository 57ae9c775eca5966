import { APIConnectionError, APIError, APIUserAbortError, AuthenticationError, BadRequestError, PermissionDeniedError, RateLimitError } from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages/messages.js';
import { errorMessage } from '../errors.js';
import type { ModelEndpoint } from './model.js';
import { TICKET_HEADER } from './scripted/server.js';

/** How often and how patiently transient model errors (429, 5xx/529, connection) are retried. */
export interface RetryPolicy {
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 4, baseDelayMs: 2000, maxDelayMs: 30_000 };

export type ModelCallResult = { ok: true; message: Message } | { ok: false; kind: 'rejected-key' | 'failed' | 'aborted'; reason: string };

export interface ModelCallOptions {
  model: ModelEndpoint;
  params: MessageCreateParamsBase;
  ticket?: string;
  signal: AbortSignal;
  retry: RetryPolicy;
  onText(delta: string): void;
  onRetry(attempt: number, reason: string, delayMs: number): void;
}

function describe(error: unknown, label: string): { transient: boolean; reason: string; kind: 'rejected-key' | 'failed' } {
  if (error instanceof AuthenticationError) {
    return {
      transient: false,
      kind: 'rejected-key',
      reason: `the ${label} rejected the key (401): check ANTHROPIC_API_KEY`,
    };
  }
  if (error instanceof PermissionDeniedError) {
    return { transient: false, kind: 'rejected-key', reason: `the ${label} refused access (403): ${error.message}` };
  }
  if (error instanceof RateLimitError) return { transient: true, kind: 'failed', reason: `the ${label} kept rate-limiting (429)` };
  if (error instanceof BadRequestError) return { transient: false, kind: 'failed', reason: `the ${label} refused the request (400): ${error.message}` };
  if (error instanceof APIConnectionError) {
    return { transient: true, kind: 'failed', reason: `the connection to the ${label} failed (${errorMessage(error.cause ?? error)})` };
  }
  if (error instanceof APIError && typeof error.status === 'number') {
    if (error.status === 529) return { transient: true, kind: 'failed', reason: `the ${label} stayed overloaded (529)` };
    if (error.status >= 500 || error.status === 408 || error.status === 409) {
      return { transient: true, kind: 'failed', reason: `the ${label} kept failing (${error.status})` };
    }
    return { transient: false, kind: 'failed', reason: `the ${label} answered ${error.status}: ${error.message}` };
  }
  // A stream cut mid-response surfaces as a plain error from the body reader.
  return { transient: true, kind: 'failed', reason: `the connection to the ${label} was lost mid-response (${errorMessage(error)})` };
}

function retryAfterMs(error: unknown): number | null {
  if (!(error instanceof APIError) || !error.headers) return null;
  const ms = Number(error.headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const seconds = Number(error.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * One model turn over the streaming API, retried with exponential backoff on
 * transient errors (429, 5xx including 529, connection errors and streams cut
 * mid-response). Never throws: the result says how it ended.
 */
export async function callModel(options: ModelCallOptions): Promise<ModelCallResult> {
  const { model, signal, retry } = options;
  const headers = options.ticket ? { [TICKET_HEADER]: options.ticket } : undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const stream = model.client.messages.stream(options.params, { signal, ...(headers ? { headers } : {}) });
      stream.on('text', (delta) => options.onText(delta));
      const message = await stream.finalMessage();
      return { ok: true, message };
    } catch (error) {
      if (signal.aborted || error instanceof APIUserAbortError) return { ok: false, kind: 'aborted', reason: 'stopped' };
      const described = describe(error, model.label);
      if (!described.transient) return { ok: false, kind: described.kind, reason: described.reason };
      if (attempt >= retry.retries) {
        return { ok: false, kind: 'failed', reason: `${described.reason}; gave up after ${attempt + 1} attempts` };
      }
      const backoff = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt) * (1 - Math.random() * 0.2);
      const delay = Math.min(retry.maxDelayMs, retryAfterMs(error) ?? backoff);
      options.onRetry(attempt + 1, described.reason, Math.round(delay));
      await sleep(delay, signal);
      if (signal.aborted) return { ok: false, kind: 'aborted', reason: 'stopped' };
    }
  }
}
