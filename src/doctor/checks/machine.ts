import { statfs } from 'node:fs/promises';
import { gitOutcome } from '../../git/gate.js';
import { pass, type CheckGroup, type CheckResult } from '../types.js';

/** The oldest git with everything the gate uses (worktrees, `rebase --onto`, `update-ref` with an old value). */
export const MIN_GIT: readonly [number, number] = [2, 25];
export const MIN_NODE = 20;

function atLeast(version: number[], min: readonly number[]): boolean {
  for (let i = 0; i < min.length; i++) {
    const v = version[i] ?? 0;
    if (v !== min[i]) return v > min[i]!;
  }
  return true;
}

/** Free disk space (warn only), and the git and node the system needs. */
export const machineChecks: CheckGroup = async (ctx) => {
  const results: CheckResult[] = [];
  const [disk, git] = await Promise.all([statfs(ctx.paths.home).catch(() => null), gitOutcome(ctx.paths.home, ['--version'], { PATH: ctx.env.PATH ?? '' })]);

  if (!disk) {
    results.push({ id: 'disk.space', title: 'enough free disk space', status: 'warn', message: `cannot read the free space of ${ctx.paths.home}`, fix: 'check the disk by hand (`df -h`)' });
  } else {
    const free = disk.bavail * disk.bsize;
    const share = disk.blocks > 0 ? disk.bavail / disk.blocks : 1;
    const gib = (free / 1024 ** 3).toFixed(1);
    results.push(
      free >= ctx.machine.minFreeBytes && share >= 0.05
        ? pass('disk.space', 'enough free disk space', `${gib} GiB free (${Math.round(share * 100)}%)`)
        : {
            id: 'disk.space',
            title: 'enough free disk space',
            status: 'warn',
            message: `only ${gib} GiB free (${Math.round(share * 100)}%) where the workspace lives; worktrees and checks need room`,
            fix: 'free some space (old worktrees: `master doctor --fix`)',
          },
    );
  }

  const match = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(git.stdout);
  if (git.code !== 0 || !match) {
    results.push({
      id: 'git.version',
      title: `git ${MIN_GIT.join('.')} or newer`,
      status: 'fail',
      message: git.code === 0 ? `cannot read git's version from "${git.stdout.trim()}"` : `git does not run here (${git.stderr.trim() || `exit ${git.code}`})`,
      fix: 'install git and put it on PATH',
    });
  } else {
    const version = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
    results.push(
      atLeast(version, MIN_GIT)
        ? pass('git.version', `git ${MIN_GIT.join('.')} or newer`, `git ${version.join('.')}`)
        : { id: 'git.version', title: `git ${MIN_GIT.join('.')} or newer`, status: 'warn', message: `git ${version.join('.')} is too old`, fix: `upgrade git to ${MIN_GIT.join('.')} or newer` },
    );
  }

  const node = ctx.machine.nodeVersion.split('.').map(Number);
  results.push(
    (node[0] ?? 0) >= MIN_NODE
      ? pass('node.version', `node ${MIN_NODE} or newer`, `node ${ctx.machine.nodeVersion}`)
      : { id: 'node.version', title: `node ${MIN_NODE} or newer`, status: 'warn', message: `node ${ctx.machine.nodeVersion} is too old`, fix: `install node ${MIN_NODE} or newer` },
  );
  return results;
};
