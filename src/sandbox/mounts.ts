import path from 'node:path';
import type { SandboxPolicy } from './policy.js';

export type MountKind = 'writable' | 'readOnly' | 'hidden';
export interface Mount {
  kind: MountKind;
  path: string;
}

function depth(target: string): number {
  return target.split(path.sep).filter(Boolean).length;
}

function inside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The policy's entries in the order a backend applies them, later ones
 * winning: outer folders before inner ones (so the innermost entry decides),
 * and hidden paths last with nothing left inside them (a silo's `.git`
 * listed read-only must not reappear inside the emptied silo). At the same
 * path, hidden beats read-only beats writable.
 */
export function orderedMounts(policy: Pick<SandboxPolicy, 'writable' | 'readOnly' | 'hidden'>): Mount[] {
  const rank: Record<MountKind, number> = { writable: 0, readOnly: 1, hidden: 2 };
  const byPath = new Map<string, MountKind>();
  const put = (kind: MountKind, target: string) => {
    const resolved = path.resolve(target);
    const had = byPath.get(resolved);
    if (!had || rank[kind] > rank[had]) byPath.set(resolved, kind);
  };
  for (const p of policy.writable) put('writable', p);
  for (const p of policy.readOnly) put('readOnly', p);
  for (const p of policy.hidden) put('hidden', p);
  const hidden = [...byPath].filter(([, kind]) => kind === 'hidden').map(([p]) => p);
  const rest = [...byPath]
    .filter(([p, kind]) => kind !== 'hidden' && !hidden.some((h) => inside(p, h)))
    .map(([p, kind]) => ({ kind, path: p }))
    .sort((a, b) => depth(a.path) - depth(b.path));
  return [...rest, ...hidden.sort((a, b) => depth(a) - depth(b)).map((p) => ({ kind: 'hidden' as const, path: p }))];
}
