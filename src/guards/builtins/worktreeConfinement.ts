import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { globBase } from '../callInfo.js';
import { bashSandboxed } from '../silo/sandbox.js';
import { isInside, resolveReal } from '../pathPolicy.js';
import { realPath } from '../realPath.js';
import type { CommandUse } from '../shell/analyze.js';
import type { BuiltinEnv, GuardCheck } from './types.js';
import { escapingLinks, sweepingTouches } from './worktreeLinks.js';

const DEVICES = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty', '/dev/zero', '/dev/random', '/dev/urandom']);

/**
 * Worktree confinement: file tools touch only the confinement root (the
 * ticket's worktree; for `master guard`, the git top level of cwd), real
 * paths compared; a Bash command writes only there, in the temp folder, or in
 * the folders the hook file lists as `writable`.
 */
export function worktreeConfinement(env: BuiltinEnv): GuardCheck {
  const writable = [tmpdir(), ...(env.spec.writable ?? [])].map((p) => resolveReal(p, env.paths.home));
  const roots = new Map<string, string>();
  const home = resolveReal(env.paths.home, env.paths.home);
  return (call, context, info) => {
    if (info.kind === 'other') return null;
    let root = roots.get(context.root);
    if (root === undefined) {
      root = resolveReal(context.root, context.cwd);
      if (roots.size > 256) roots.clear();
      roots.set(context.root, root);
    }
    const writableOutside = (real: string) => !isInside(real, home) && writable.some((w) => isInside(real, w));
    for (const command of info.commands) {
      const refused = linkOutside(command, (real) => isInside(real, root!) || writableOutside(real));
      if (refused) return `${refused}, outside the worktree ${root}; a link out of the worktree is a door around every path check, so links may only point inside it`;
    }
    // With the OS sandbox running the command, what a static reading cannot pin down (a path that could be
    // anything, a glob through a link) is harmless there: the sandbox confines writes. Only what is known is judged.
    const sandboxed = info.kind === 'bash' && bashSandboxed(context);
    // A glob or recursive write in the worktree goes through the symlinks already there.
    const sweepingWrite = sandboxed ? undefined : sweepingTouches(info, root).find((t) => t.access === 'write');
    if (sweepingWrite) {
      const out = escapingLinks(info, root).find((l) => !writableOutside(l.real));
      if (out)
        return `this command writes ${sweepingWrite.path} (${sweepingWrite.by}) across the worktree, where the symlink ${out.link} leads to ${out.real}, outside the worktree ${root}; name the files you mean, or remove the link`;
    }
    for (const touch of info.touches) {
      if (info.kind === 'bash' && touch.access !== 'write') continue;
      if (sandboxed && touch.unknown) continue;
      if (info.kind === 'bash' && (DEVICES.has(touch.path) || touch.path.startsWith('/dev/fd/') || touch.path.startsWith('/proc/self/fd/'))) continue;
      const real = touch.glob ? info.real(globBase(touch.path)) : info.real(touch.path);
      if (isInside(real, root)) continue;
      // The temp folder is writable, but never the workspace itself (a workspace may live in the temp folder).
      if (info.kind === 'bash' && writableOutside(real)) continue;
      const shown = touch.glob ? touch.path : path.relative(context.cwd, touch.path) || '.';
      if (touch.unknown) return `${touch.unknown}, so it may write anywhere outside the worktree ${root}; name the files you mean (write only inside the worktree)`;
      return info.kind === 'bash'
        ? `this command writes ${shown} (${touch.by}), which resolves to ${real}, outside the worktree ${root}; write only inside the worktree`
        : `${shown} resolves to ${real}, outside the worktree ${root}; ${call.name} may only touch files inside it`;
    }
    return null;
  };
}

/**
 * A link the command would create that leads out of the worktree: `ln -s
 * TARGET LINK` (the target resolved from the link's folder, as the OS will),
 * `ln` and `link` hard links and `cp -s`/`cp -l` (resolved from the cwd). A target the
 * static reading cannot know (`$1`, `$(...)`) is refused too.
 */
function linkOutside(command: CommandUse, allowed: (real: string) => boolean): string | null {
  const argv = command.argv;
  const program = path.basename(argv[0] ?? '');
  if (program === 'link') {
    // coreutils `link TARGET LINK`: a hard link, no options.
    const operands = argv.slice(1).filter((a) => a !== '--');
    if (operands.length < 2) return null;
    if (command.cwdUnknown) return `\`${argv.join(' ')}\` creates a hard link in a folder that cannot be known before it runs`;
    for (const cwd of command.cwds) {
      if (operands[0]!.includes('*')) return `\`${argv.join(' ')}\` creates a hard link to a target that cannot be known before it runs`;
      const real = realPath(operands[0]!, cwd);
      if (!allowed(real)) return `\`${argv.join(' ')}\` creates a hard link to ${operands[0]}, which resolves to ${real}`;
    }
    return null;
  }
  if (program !== 'ln' && program !== 'cp') return null;
  let symbolic = false;
  let relative = false;
  let link = program === 'ln';
  let noTargetDirectory = false;
  let targetDirectory: string | undefined;
  const operands: string[] = [];
  let options = true;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!options || a === '-' || !a.startsWith('-')) {
      operands.push(a);
    } else if (a === '--') {
      options = false;
    } else if (a.startsWith('--')) {
      const [name, value] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (name === '--symbolic' || name === '--symbolic-link') symbolic = link = true;
      else if (name === '--link') link = true;
      else if (name === '--relative') relative = true;
      else if (name === '--no-target-directory') noTargetDirectory = true;
      else if (name === '--target-directory') targetDirectory = value ?? argv[++i];
      else if (name === '--suffix' && value === undefined) i++;
    } else {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === 's') symbolic = link = true;
        else if (c === 'l' && program === 'cp') link = true;
        else if (c === 'r' && program === 'ln') relative = true;
        else if (c === 'T') noTargetDirectory = true;
        else if (c === 't' || c === 'S') {
          const value = a.slice(j + 1) || argv[++i];
          if (c === 't') targetDirectory = value;
          break;
        }
      }
    }
  }
  if (!link || operands.length === 0) return null;
  if (command.cwdUnknown) return `\`${argv.join(' ')}\` creates a link in a folder that cannot be known before it runs (after a \`cd\` the guard cannot follow)`;
  let targets: string[];
  let destination: string | undefined;
  if (targetDirectory !== undefined) targets = operands;
  else if (operands.length === 1 && program === 'ln') targets = operands;
  else {
    targets = operands.slice(0, -1);
    destination = operands[operands.length - 1];
  }
  const what = symbolic ? 'symlink' : 'hard link';
  for (const cwd of command.cwds) {
    // The folder the link lands in: `-t DIR`, DIR when the destination is a folder, else the destination's folder.
    let folder = cwd;
    if (targetDirectory !== undefined) folder = realPath(targetDirectory, cwd);
    else if (destination !== undefined) {
      const dest = realPath(destination, cwd);
      folder = !noTargetDirectory && (operands.length > 2 || isDirectory(dest)) ? dest : path.dirname(dest);
    }
    for (const target of targets) {
      if (target.includes('*')) return `\`${argv.join(' ')}\` creates a ${what} to a target that cannot be known before it runs`;
      const base = symbolic && !relative && program === 'ln' ? folder : cwd;
      const real = realPath(target, base);
      if (!allowed(real)) return `\`${argv.join(' ')}\` creates a ${what} to ${target}, which resolves to ${real}`;
    }
  }
  return null;
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}
