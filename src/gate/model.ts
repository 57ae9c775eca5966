import type { Registry } from '../registry/schema.js';

export type ModelStatus = { configured: true; label: string } | { configured: false; reason: string };

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/**
 * Whether an agent can run here: the same rule as the agents' own
 * `modelAvailability`, without loading the model SDK (the doctor and the
 * gate's wait decision stay cheap).
 */
export function modelStatus(registry: Registry, env: NodeJS.ProcessEnv = process.env): ModelStatus {
  if (registry.models.provider === 'scripted') {
    return registry.models.script
      ? { configured: true, label: 'scripted demo model' }
      : { configured: false, reason: 'registry.json says models.provider "scripted" but names no models.script file' };
  }
  const baseURL = envValue(env, 'ANTHROPIC_BASE_URL');
  if (envValue(env, 'ANTHROPIC_API_KEY') || envValue(env, 'ANTHROPIC_AUTH_TOKEN')) return { configured: true, label: `${registry.models.default} (Anthropic API)` };
  if (baseURL) return { configured: true, label: `${registry.models.default} at ${baseURL}` };
  return {
    configured: false,
    reason: 'no model is configured: set ANTHROPIC_API_KEY (or ANTHROPIC_BASE_URL for a compatible server)',
  };
}
