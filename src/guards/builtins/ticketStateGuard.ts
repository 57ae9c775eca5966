import path from 'node:path';
import { globOverlap } from '../glob.js';
import { isInside, resolveReal } from '../pathPolicy.js';
import { WRITE_TOOL_NAMES } from '../callInfo.js';
import { bashSandboxed } from '../silo/sandbox.js';
import type { BuiltinEnv, GuardCheck } from './types.js';

/** Programs that only read their arguments: naming the state files with them is fine. */
export const READ_ONLY = new Set([
  'cat',
  'head',
  'tail',
  'less',
  'more',
  'grep',
  'egrep',
  'fgrep',
  'rg',
  'jq',
  'wc',
  'ls',
  'stat',
  'file',
  'diff',
  'cmp',
  'md5sum',
  'sha1sum',
  'sha256sum',
  'od',
  'xxd',
  'hexdump',
  'strings',
  'tac',
  'nl',
  'cut',
  'uniq',
  'test',
  '[',
  'echo',
  'printf',
  'realpath',
  'readlink',
  'dirname',
  'basename',
  'du',
  'tree',
  'cd',
  'pushd',
  'master',
]);
/** Programs that destroy or move a whole folder: naming a parent of the state reaches it. */
const DESTROYERS = new Set(['rm', 'mv', 'rsync', 'chmod', 'chown', 'chgrp', 'shred', 'find', 'rmdir']);

/**
 * Ticket-state guard: only `src/tickets` writes ticket state, so no tool may
 * write the state snapshot (or its temp files), the event log, the archive or
 * the locks — by a file tool, a redirection, cp/mv/tee/sed -i/rm/truncate, a
 * relative path, a symlink, or an interpreter given the path.
 */
export function ticketStateGuard(env: BuiltinEnv): GuardCheck {
  const data = resolveReal(env.paths.data, env.paths.home);
  const files = [env.paths.state, env.paths.writeLock, env.paths.sessionLock].map((f) => path.join(data, path.basename(f)));
  const folders = [env.paths.events, env.paths.archive].map((f) => path.join(data, path.basename(f)));
  const tempFile = new RegExp(`^\\.${path.basename(env.paths.state).replace(/\./g, '\\.')}\\..*`);
  const protectedPath = (real: string) => files.includes(real) || folders.some((f) => isInside(real, f)) || (path.dirname(real) === data && tempFile.test(path.basename(real)));
  const protectedAreas = [...files, ...folders];
  const unknownWhy = (unknown: string) =>
    `${unknown}, so it may be the workspace's ticket state (snapshot, event log, archive or locks), which only master's ticket commands change; name the files you mean`;
  const why = (shown: string) => `${shown} is the workspace's ticket state (snapshot, event log, archive or locks); only master's ticket commands change it (\`master ticket move ...\`)`;
  return (call, context, info) => {
    if (info.kind === 'file') {
      if (!WRITE_TOOL_NAMES.has(call.name)) return null;
      for (const touch of info.touches) if (protectedPath(info.real(touch.path))) return why(touch.path);
      return null;
    }
    if (info.kind !== 'bash') return null;
    // The sandbox keeps the state read-only: a path that could be anything is harmless there.
    const sandboxed = bashSandboxed(context);
    for (const touch of info.touches) {
      if (touch.unknown && sandboxed) continue;
      const strict = touch.access === 'write' || !READ_ONLY.has(touch.by);
      if (!strict) continue;
      if (touch.glob) {
        for (const area of protectedAreas) {
          const overlap = globOverlap(touch.path, area);
          if (overlap === 'inside' || (overlap === 'ancestor' && touch.access === 'write' && DESTROYERS.has(touch.by))) return touch.unknown ? unknownWhy(touch.unknown) : why(touch.path);
        }
        if (globOverlap(touch.path, path.join(data, '.state.json.x.tmp')) === 'inside') return touch.unknown ? unknownWhy(touch.unknown) : why(touch.path);
        continue;
      }
      for (const candidate of [touch.path, info.real(touch.path)]) {
        if (protectedPath(candidate)) return why(touch.path);
        if (touch.access === 'write' && DESTROYERS.has(touch.by) && protectedAreas.some((a) => isInside(a, candidate))) return why(touch.path);
      }
    }
    return null;
  };
}
