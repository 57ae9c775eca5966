import type { Registry } from '../registry/schema.js';
import type { WorkspacePaths } from '../workspace/paths.js';
import type { HookSpec } from './hookFile.js';
import { siloDenyRules } from './silo/rules.js';
import { siloMap } from './silo/areas.js';

/**
 * What `master hooks export` gives a Claude Code session: the hook that runs
 * `master guard` (wrapped so it fails closed however master fails), the deny
 * rules (layer 1) and Claude Code's own sandbox block (layer 4 of that path).
 * The doctor reads an exported file back with `parseGuardHookCommand`.
 */

/** Seconds `master guard` keeps for itself below the exported timeout: it answers before Claude Code gives up. */
export const GUARD_MARGIN_SECONDS = 10;
/** The marker (the wrapper's `$0`) by which an exported hook command is recognized. */
export const HOOK_MARKER = 'master-guard';

/** The timeout a hook event needs for the hooks configured now: every external command's, plus room for the built-ins. */
export function requiredHookTimeout(hooks: HookSpec[], event: 'PreToolUse' | 'PostToolUse' = 'PreToolUse'): number {
  const external = hooks.filter((h) => h.enabled && h.command && h.event === event).reduce((sum, h) => sum + h.timeout, 0);
  return Math.max(60, external + 30);
}

export interface GuardHookTarget {
  node: string;
  script: string;
  home: string;
  /** Seconds `master guard` may take before it answers deny on its own. */
  within: number;
}

function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

// Any exit but 0 becomes 2 (block) with a reason: a missing node (127), a moved build (1), a crash, a signal.
const WRAPPER = `"$1" "$2" --home "$3" guard --within "$4"; rc=$?; [ "$rc" -eq 0 ] && exit 0; [ "$rc" -eq 2 ] || echo "master guard failed (exit $rc): blocked" >&2; exit 2`;

/** The hook command: `sh -c WRAPPER master-guard NODE SCRIPT HOME WITHIN`. */
export function guardHookCommand(target: GuardHookTarget): string {
  return `sh -c ${shellQuote(WRAPPER)} ${HOOK_MARKER} ${[target.node, target.script, target.home, String(target.within)].map(shellQuote).join(' ')}`;
}

/** The target of an exported hook command, or null when the command is not one `master hooks export` wrote. */
export function parseGuardHookCommand(command: string): GuardHookTarget | null {
  const words = splitShellWords(command);
  if (words?.[0] !== 'sh' || words[1] !== '-c' || words[3] !== HOOK_MARKER || words.length !== 8) return null;
  const within = Number(words[7]);
  if (!Number.isFinite(within)) return null;
  return { node: words[4]!, script: words[5]!, home: words[6]!, within };
}

/** Words of a command line quoted the way `shellQuote` quotes (single quotes, bare words); null if it is not so. */
function splitShellWords(text: string): string[] | null {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === ' ') i++;
    if (i >= text.length) break;
    let word = '';
    while (i < text.length && text[i] !== ' ') {
      if (text[i] === "'") {
        const end = text.indexOf("'", i + 1);
        if (end === -1) return null;
        word += text.slice(i + 1, end);
        i = end + 1;
      } else if (text[i] === '\\') {
        word += text[i + 1] ?? '';
        i += 2;
      } else word += text[i++];
    }
    words.push(word);
  }
  return words;
}

export interface ClaudeSettingsInput {
  paths: WorkspacePaths;
  registry: Registry;
  hooks: HookSpec[];
  brand?: string;
  node: string;
  script: string;
}

/** The `.claude/settings.json` content that gives a Claude Code session master's layers. */
export function claudeSettings(input: ClaudeSettingsInput): Record<string, unknown> {
  const { paths, registry, hooks } = input;
  const hook = (event: 'PreToolUse' | 'PostToolUse') => {
    const timeout = requiredHookTimeout(hooks, event);
    const command = guardHookCommand({ node: input.node, script: input.script, home: paths.home, within: timeout - GUARD_MARGIN_SECONDS });
    return [{ matcher: '*', hooks: [{ type: 'command', command, timeout }] }];
  };
  // Layer 4 of this path: Claude Code's own sandbox runs every Bash command. It writes only the project and
  // the temp folder (its default), never the workspace's control files or Claude Code's settings, and the
  // silo folders this session must not reach are unreadable. No command may leave the sandbox.
  const silo = siloMap(registry, paths).forbidden(input.brand);
  const absolute = (p: string) => `/${p}`;
  const denyRead = [...new Set(silo.flatMap((a) => [a.path, a.lexical]))].map(absolute);
  return {
    hooks: {
      PreToolUse: hook('PreToolUse'),
      ...(hooks.some((h) => h.enabled && h.event === 'PostToolUse') ? { PostToolUse: hook('PostToolUse') } : {}),
    },
    permissions: {
      deny: [
        ...hooks.filter((h) => h.enabled && h.guard === 'deny-rules').flatMap((h) => h.rules ?? []),
        ...siloDenyRules(registry, paths, input.brand),
        // Claude Code's settings switch hooks and permissions off: no tool writes them.
        'Edit(./.claude/**)',
        'Write(./.claude/**)',
      ],
    },
    sandbox: {
      enabled: true,
      allowUnsandboxedCommands: false,
      filesystem: {
        denyRead,
        denyWrite: [paths.registry, paths.hooks, paths.state, paths.events, paths.archive, paths.transcripts, paths.writeLock, paths.sessionLock, './.claude'].map((p) =>
          p.startsWith('/') ? absolute(p) : p,
        ),
      },
    },
  };
}
