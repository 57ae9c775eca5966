/** Exit codes of every command: the contract scripts rely on. */
export const ExitCode = {
  ok: 0,
  failed: 1,
  badInput: 2,
  busy: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the user caused or can fix; the CLI prints its message (no stack) and exits with its code. */
export class UserError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = ExitCode.badInput) {
    super(message);
    this.name = 'UserError';
    this.exitCode = exitCode;
  }
}

/** A file the user wrote (the registry, a hook) that cannot be used: the message names the file and every problem. */
export class FileProblemsError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(problems.length === 1 ? `${file}: ${problems[0]}` : `${file}: ${problems.length} problems:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'FileProblemsError';
  }
}

/** Another live process holds a lock this command needs. */
export class BusyError extends UserError {
  constructor(message: string) {
    super(message, ExitCode.busy);
    this.name = 'BusyError';
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
