import { compileRule, type CompiledRule } from '../rules.js';
import { contextBrand, siloLayerOn } from '../silo/areas.js';
import { siloDenyRules } from '../silo/rules.js';
import { bashSandboxed } from '../silo/sandbox.js';
import type { BuiltinEnv, GuardCheck } from './types.js';

/**
 * Deny rules in Claude Code's permission syntax, from the hook file's `rules`
 * plus the silo rules generated from the registry for the caller's brand
 * (silo layer 1). Rules are compiled once per chain (and per brand).
 */
export function denyRules(env: BuiltinEnv): GuardCheck {
  const own = (env.spec.rules ?? []).map(compileRule);
  const byBrand = new Map<string, CompiledRule[]>();
  const siloRules = (brand: string | undefined) => {
    const key = brand ?? '\0';
    let rules = byBrand.get(key);
    if (!rules) byBrand.set(key, (rules = siloDenyRules(env.registry, env.paths, brand).map(compileRule)));
    return rules;
  };
  return (call, context, found) => {
    // With the OS sandbox running the command, a path the reading could not pin down (`$1`, xargs input) is left
    // to the sandbox, which hides what the rules deny reading; rules judge what is known.
    const info = found.kind === 'bash' && bashSandboxed(context) && found.touches.some((t) => t.unknown) ? { ...found, touches: found.touches.filter((t) => !t.unknown) } : found;
    for (const rule of own) if (rule.matches(call, context, info)) return `denied by the rule ${rule.text} (hooks/${env.spec.file})`;
    if (!siloLayerOn(context.registry, 'denyRules')) return null;
    for (const rule of siloRules(contextBrand(context))) {
      if (rule.matches(call, context, info)) return `denied by the silo rule ${rule.text} (generated from registry.json)`;
    }
    return null;
  };
}
