import { ExitCode, UserError, errorMessage } from '../errors.js';

/** What a failed file operation means for a person: a full disk, a permission, never just a code. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EDQUOT':
      return 'the disk quota is used up';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EIO':
      return 'an input/output error (a failing disk?)';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files';
    default:
      return errorMessage(error);
  }
}

/** What to do about it, by cause. */
function advice(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'free some space and run the command again';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'make the workspace folder writable for this user and run the command again';
  return 'fix the cause and run the command again';
}

/**
 * An append to the event log that did not become durable. `rolledBack` says
 * whether the file was cut back to its length before the append: then
 * nothing of the change is recorded, for certain.
 */
export class LogWriteError extends UserError {
  constructor(
    readonly file: string,
    readonly reason: unknown,
    readonly rolledBack: boolean,
  ) {
    super(
      rolledBack
        ? `could not record the change: ${describeFsError(reason)} (writing ${file}); nothing was recorded — ${advice(reason)}`
        : `could not record the change: ${describeFsError(reason)} (writing ${file}), and the partial line could not be removed; run \`master repair\` once the cause is fixed, then check with \`master ticket list\` before repeating the change`,
      ExitCode.failed,
    );
    this.name = 'LogWriteError';
  }
}

/** A file operation of the store failed for a reason the user must fix. */
export class StoreWriteError extends UserError {
  constructor(what: string, file: string, cause: unknown) {
    super(`could not ${what}: ${describeFsError(cause)} (${file}) — ${advice(cause)}`, ExitCode.failed);
    this.name = 'StoreWriteError';
  }
}
