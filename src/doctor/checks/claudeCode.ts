import { locateClaude } from '../../agents/claudeCode/locate.js';
import { pass, type CheckGroup } from '../types.js';

/** The Claude Code this version was tested with; an older one may not speak the Agent SDK's protocol. */
const TESTED = [2, 1, 197];

function older(version: string): boolean {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < TESTED.length; i++) if ((parts[i] ?? 0) !== TESTED[i]) return (parts[i] ?? 0) < TESTED[i]!;
  return false;
}

/** Where an executor is Claude Code: the operator's `claude` is there, answers, and is recent enough. */
export const claudeCodeChecks: CheckGroup = async (ctx) => {
  const registry = ctx.registry;
  if (!registry) return [];
  const used = registry.executor === 'claude-code' || registry.brands.some((b) => b.executor === 'claude-code') || Object.values(registry.contracts).some((c) => c?.executor === 'claude-code');
  if (!used) return [];
  const id = 'agents.claude-code';
  const title = 'Claude Code is installed and answers';
  const found = locateClaude(registry, ctx.env);
  if (!found.ok) return [{ id, title, status: 'fail', message: found.reason, fix: 'install Claude Code and log in with `claude` yourself (master never logs in), or set "executor": "sdk"' }];
  try {
    await import('@anthropic-ai/claude-agent-sdk');
  } catch {
    return [
      {
        id,
        title,
        status: 'fail',
        message: `${found.path} ${found.version} is there, but the Claude Code Agent SDK is not installed`,
        fix: 'npm install @anthropic-ai/claude-agent-sdk@0.3.197 next to master (left out of the default install: its bundled binary is 235 MB)',
      },
    ];
  }
  if (older(found.version)) {
    return [{ id, title, status: 'warn', message: `${found.path} is ${found.version}, older than ${TESTED.join('.')} which master was tested with`, fix: 'update Claude Code (`claude update`)' }];
  }
  return [pass(id, title, `${found.path} ${found.version}`)];
};
