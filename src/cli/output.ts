/** The CLI's only way to print, so a command never mixes stray logs into its output. */

let stdoutClosed = false;
let watching = false;

/**
 * A reader that goes away (`master start --ci | head`) must not crash the
 * command mid-session: once stdout's pipe is closed, output is dropped and
 * the work goes on to its end.
 */
function watchStdout(): void {
  if (watching) return;
  watching = true;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stdoutClosed = true;
    else throw error;
  });
}

export function out(text: string): void {
  watchStdout();
  if (stdoutClosed) return;
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/**
 * Writes one chunk of a long output (a listing of 100,000 tickets) and
 * resolves when stdout can take the next, so the output is never all in
 * memory at once; false once the reader went away.
 */
export function outChunk(chunk: Buffer): Promise<boolean> | boolean {
  watchStdout();
  if (stdoutClosed) return false;
  if (process.stdout.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      process.stdout.off('close', done);
      resolve(!stdoutClosed);
    };
    process.stdout.on('drain', done);
    process.stdout.on('error', done);
    process.stdout.on('close', done);
  });
}

export function err(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function json(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}
