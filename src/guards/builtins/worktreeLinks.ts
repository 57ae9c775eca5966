import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { CallInfo, PathTouch } from '../callInfo.js';
import { globBase } from '../callInfo.js';
import { isInside } from '../pathPolicy.js';
import { realPath } from '../realPath.js';
import { RECURSIVE_PROGRAMS } from './types.js';

/** Entries looked at per scan at most; a bigger worktree is scanned that far. */
const SCAN_LIMIT = 20_000;
const SKIP = new Set(['.git', 'node_modules']);
/** Recursive programs that do not follow the symlinks they meet (git stores them as links; rm removes the link). */
const NO_FOLLOW = new Set(['git', 'rm', 'mv', 'shred', 'chmod', 'chown', 'chgrp']);

/**
 * A glob (`cat b*\/x`) or a recursive read (`grep -R x .`, `cp -rL .`, `tar
 * -ch .`) inside the worktree follows the symlinks already there, which a
 * literal path check never sees. The touches of a call that do so.
 */
export function sweepingTouches(info: CallInfo, root: string): PathTouch[] {
  if (info.kind !== 'bash') return [];
  return info.touches.filter((t) => (t.glob || (RECURSIVE_PROGRAMS.has(t.by) && !NO_FOLLOW.has(t.by))) && t.path !== '/**' && isInside(t.glob ? globBase(t.path) : t.path, root));
}

const scans = new WeakMap<CallInfo, Map<string, Array<{ link: string; real: string }>>>();

/** The symlinks in the worktree whose real target is outside it (memoized per call; `.git` and `node_modules` skipped). */
export function escapingLinks(info: CallInfo, root: string): Array<{ link: string; real: string }> {
  let perRoot = scans.get(info);
  if (!perRoot) scans.set(info, (perRoot = new Map()));
  const hit = perRoot.get(root);
  if (hit) return hit;
  const found: Array<{ link: string; real: string }> = [];
  const queue = [root];
  let seen = 0;
  while (queue.length && seen < SCAN_LIMIT) {
    const dir = queue.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > SCAN_LIMIT) break;
      if (SKIP.has(name)) continue;
      const file = path.join(dir, name);
      let stat;
      try {
        stat = lstatSync(file);
      } catch {
        continue;
      }
      if (stat.isSymbolicLink()) {
        const real = realPath(file, root);
        if (!isInside(real, root)) found.push({ link: file, real });
      } else if (stat.isDirectory()) queue.push(file);
    }
  }
  perRoot.set(root, found);
  return found;
}
