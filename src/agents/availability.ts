import type { Registry } from '../registry/schema.js';

/** What everywhere shows when the scripted server answers instead of a real model. */
export const SCRIPTED_LABEL = 'scripted demo model';

export type Availability = { ok: true; label: string } | { ok: false; reason: string };

/** An environment variable, with empty strings counted as unset. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * Whether agents can run here: a scripted model, or a key or base URL for a
 * real one (empty strings count as unset). Its own module, without the SDK,
 * so the doctor and the gate's wait decision stay cheap.
 */
export function modelAvailability(registry: Registry, env: NodeJS.ProcessEnv = process.env): Availability {
  if (registry.models.provider === 'scripted') {
    return registry.models.script ? { ok: true, label: SCRIPTED_LABEL } : { ok: false, reason: 'registry.json says models.provider "scripted" but names no models.script file' };
  }
  const baseURL = envValue(env, 'ANTHROPIC_BASE_URL');
  if (envValue(env, 'ANTHROPIC_API_KEY') || envValue(env, 'ANTHROPIC_AUTH_TOKEN') || baseURL) {
    return { ok: true, label: baseURL ? hostOf(baseURL) : 'api.anthropic.com' };
  }
  return {
    ok: false,
    reason: 'no model configured: set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for a compatible server); agent tickets stay ready until then',
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
