import { createInterface } from 'node:readline/promises';

/** Where a command may ask the operator: both ends a terminal, or nobody is there to answer. */
export interface Terminal {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
}

export function processTerminal(): Terminal {
  return { input: process.stdin, output: process.stdout };
}

/** A person can answer: stdin and stdout are both a terminal (a script's pipe never is). */
export function interactive(terminal: Terminal): boolean {
  return terminal.input.isTTY === true && terminal.output.isTTY === true;
}

/**
 * Asks a yes/no question and reads one line: only "y" or "yes" is yes; Enter,
 * anything else or the end of input is no. The terminal's own line editing
 * and echo do the rest (as the inline interview does), so no raw mode.
 */
export async function confirm(terminal: Terminal, question: string): Promise<boolean> {
  const rl = createInterface({ input: terminal.input, terminal: false });
  try {
    terminal.output.write(`${question} [y/N] `);
    const line = await rl[Symbol.asyncIterator]().next();
    return !line.done && /^y(es)?$/i.test(String(line.value).trim());
  } finally {
    rl.close();
  }
}
