import path from 'node:path';

/** Every path inside a workspace, derived from its home folder in one place. */
export interface WorkspacePaths {
  home: string;
  registry: string;
  hooks: string;
  wiki: string;
  data: string;
  events: string;
  state: string;
  archive: string;
  /** Copies of damaged event-log lines, each with a report of where it was and why it was not applied. */
  quarantine: string;
  transcripts: string;
  worktrees: string;
  writeLock: string;
  sessionLock: string;
}

export function workspacePaths(home: string): WorkspacePaths {
  const root = path.resolve(home);
  const data = path.join(root, '.master');
  return {
    home: root,
    registry: path.join(root, 'registry.json'),
    hooks: path.join(root, 'hooks'),
    wiki: path.join(root, 'wiki'),
    data,
    events: path.join(data, 'events'),
    state: path.join(data, 'state.json'),
    archive: path.join(data, 'archive'),
    quarantine: path.join(data, 'quarantine'),
    transcripts: path.join(data, 'transcripts'),
    worktrees: path.join(data, 'worktrees'),
    writeLock: path.join(data, 'write.lock'),
    sessionLock: path.join(data, 'session.lock'),
  };
}

/** The workspace folder: `--home`, else `MASTER_HOME`, else the current directory. */
export function resolveHome(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(option ?? env.MASTER_HOME ?? process.cwd());
}
