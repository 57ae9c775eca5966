/**
 * Text from tickets, logs and agents reaches the terminal only through here:
 * control characters and terminal escape sequences (which could move the
 * cursor, recolour, retitle the window or draw a fake row) are shown as
 * visible escapes instead of being sent raw. Newlines survive only where the
 * output is multi-line (a body), never in a one-line field (a title).
 */
// C0 controls but tab/newline, DEL, C1 controls, and the bidirectional overrides that reorder what is shown.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** For multi-line output: keeps newlines and tabs, makes every other control visible. */
export function sanitize(text: string): string {
  return text.replace(UNSAFE, visible);
}

/** For one-line fields (a title in a table row): newlines and tabs are made visible too. */
export function sanitizeLine(text: string): string {
  return sanitize(text).replace(/[\n\t]/g, (ch) => (ch === '\n' ? '\\n' : '\\t'));
}
