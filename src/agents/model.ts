import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { Registry } from '../registry/schema.js';
import type { ModelScript } from './scripted/script.js';
import { loadModelScript } from './scripted/script.js';
import { startScriptedServer, type ScriptedServer } from './scripted/server.js';

/** What everywhere shows when the scripted server answers instead of a real model. */
export const SCRIPTED_LABEL = 'scripted demo model';

/** A model API the runtime can call: the SDK client, and what to call it in logs. */
export interface ModelEndpoint {
  client: Anthropic;
  provider: 'anthropic' | 'scripted';
  /** `scripted demo model`, or the API's host. */
  label: string;
  /** The scripted server, when this endpoint is one (tests read its requests). */
  server?: ScriptedServer;
  close(): Promise<void>;
}

export type Availability = { ok: true; label: string } | { ok: false; reason: string };

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Whether agents can run here: a scripted model, or a key or base URL for a real one (empty strings count as unset). */
export function modelAvailability(registry: Registry, env: NodeJS.ProcessEnv = process.env): Availability {
  if (registry.models.provider === 'scripted') {
    return registry.models.script
      ? { ok: true, label: SCRIPTED_LABEL }
      : { ok: false, reason: 'registry.json says models.provider "scripted" but names no models.script file' };
  }
  const baseURL = envValue(env, 'ANTHROPIC_BASE_URL');
  if (envValue(env, 'ANTHROPIC_API_KEY') || envValue(env, 'ANTHROPIC_AUTH_TOKEN') || baseURL) {
    return { ok: true, label: baseURL ? new URL(baseURL).host : 'api.anthropic.com' };
  }
  return {
    ok: false,
    reason: 'no model configured: set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for a compatible server); agent tickets stay ready until then',
  };
}

export interface OpenModelOptions {
  env?: NodeJS.ProcessEnv;
  /** A script to use instead of the registry's `models.script` file. */
  script?: ModelScript;
  /** Milliseconds between streamed chunks of the scripted model (the demo paces itself). */
  paceMs?: number;
  /** Keep every request the scripted model received (tests). */
  recordRequests?: boolean;
}

/**
 * Opens the workspace's model: for `scripted`, starts the scripted server on
 * 127.0.0.1 and points the SDK at it; for `anthropic`, a client configured
 * from ANTHROPIC_API_KEY / ANTHROPIC_AUTH_TOKEN / ANTHROPIC_BASE_URL. The
 * runtime retries itself, so the SDK does not.
 */
export async function openModel(registry: Registry, home: string, options: OpenModelOptions = {}): Promise<ModelEndpoint> {
  const common = { maxRetries: 0, logLevel: 'off' as const, timeout: 10 * 60_000 };
  if (registry.models.provider === 'scripted') {
    const script = options.script ?? loadModelScript(path.resolve(home, registry.models.script ?? 'model-script.json'));
    const server = await startScriptedServer(script, {
      record: options.recordRequests ?? false,
      ...(options.paceMs !== undefined ? { paceMs: options.paceMs } : {}),
    });
    const client = new Anthropic({ ...common, apiKey: 'scripted-demo-model', baseURL: server.url });
    return { client, provider: 'scripted', label: SCRIPTED_LABEL, server, close: () => server.close() };
  }
  const env = options.env ?? process.env;
  const availability = modelAvailability(registry, env);
  const baseURL = envValue(env, 'ANTHROPIC_BASE_URL');
  const apiKey = envValue(env, 'ANTHROPIC_API_KEY');
  const authToken = envValue(env, 'ANTHROPIC_AUTH_TOKEN');
  // One credential, always explicit: the SDK never goes looking for profiles on disk.
  const credential = apiKey ? { apiKey } : authToken ? { authToken } : { apiKey: 'no-key-configured' };
  const client = new Anthropic({ ...common, ...credential, baseURL: baseURL ?? 'https://api.anthropic.com' });
  return {
    client,
    provider: 'anthropic',
    label: availability.ok ? availability.label : 'api.anthropic.com',
    close: async () => undefined,
  };
}
