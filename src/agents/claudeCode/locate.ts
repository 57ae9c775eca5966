import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Registry } from '../../registry/schema.js';

export type ClaudeLocation = { ok: true; path: string; version: string } | { ok: false; reason: string };

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `claude` on PATH, or null. */
function onPath(env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'claude');
    if (executable(file)) return file;
  }
  return null;
}

const cache = new Map<string, ClaudeLocation>();

/**
 * The operator's own Claude Code: `claudeCode.path` in the registry, else the
 * first `claude` on PATH; it must run and say its version. Never logs in,
 * never looks at credentials.
 */
export function locateClaude(registry: Pick<Registry, 'claudeCode'>, env: NodeJS.ProcessEnv = process.env): ClaudeLocation {
  const configured = registry.claudeCode.path;
  const file = configured ? (configured.startsWith('~/') ? path.join(os.homedir(), configured.slice(2)) : path.resolve(configured)) : onPath(env);
  if (!file) {
    return { ok: false, reason: 'Claude Code (`claude`) is not on PATH; install it (npm i -g @anthropic-ai/claude-code) or set "claudeCode": {"path": "…"} in registry.json' };
  }
  const known = cache.get(file);
  if (known) return known;
  if (!executable(file)) return { ok: false, reason: `claudeCode.path "${configured}" is not an executable file; fix it in registry.json` };
  const run = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 15_000, env: { ...env, DISABLE_AUTOUPDATER: '1' } });
  const version = /(\d+\.\d+\.\d+)/.exec(run.stdout ?? '')?.[1];
  const found: ClaudeLocation =
    run.status === 0 && version
      ? { ok: true, path: file, version }
      : { ok: false, reason: `${file} did not answer \`--version\` (${run.error?.message ?? (run.stderr || run.stdout || `exit ${run.status}`).trim().slice(0, 200)})` };
  cache.set(file, found);
  return found;
}
