/**
 * A hook's matcher on the tool name, as Claude Code reads it: empty or `*`
 * matches every tool, plain names (`Edit|Write`) match exactly, anything else
 * is a regular expression tested against the name.
 */
export type ToolMatcher = (toolName: string) => boolean;

export function compileMatcher(matcher: string | undefined): ToolMatcher {
  const text = (matcher ?? '').trim();
  if (text === '' || text === '*') return () => true;
  if (/^[A-Za-z0-9_-]+(\|[A-Za-z0-9_-]+)*$/.test(text)) {
    const names = new Set(text.split('|'));
    return (name) => names.has(name);
  }
  const regex = new RegExp(text);
  return (name) => regex.test(name);
}

/** Whether a matcher compiles; the reason when it does not. */
export function matcherProblem(matcher: string | undefined): string | null {
  try {
    compileMatcher(matcher);
    return null;
  } catch (error) {
    return `matcher ${JSON.stringify(matcher)} is not a valid regular expression (${(error as Error).message})`;
  }
}
