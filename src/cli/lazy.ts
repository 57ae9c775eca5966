/** Each command's module is imported only when that command runs, so startup stays cheap. */
type Lazy<A extends unknown[]> = (...args: A) => Promise<unknown>;
export function lazy<A extends unknown[]>(load: () => Promise<Lazy<A>>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const run = await load();
    const code = await run(...args);
    if (typeof code === 'number') process.exitCode = code;
  };
}

/** A repeatable option's values, in order. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
