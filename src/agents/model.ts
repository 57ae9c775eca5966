import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { Registry } from '../registry/schema.js';
import { SCRIPTED_LABEL, envValue, modelAvailability } from './availability.js';

export { SCRIPTED_LABEL, modelAvailability, type Availability } from './availability.js';
import type { ModelScript } from './scripted/script.js';
import { loadModelScript } from './scripted/script.js';
import { startScriptedServer, type ScriptedServer } from './scripted/server.js';

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
