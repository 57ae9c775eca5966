import { describe, expect, it } from 'vitest';
import { globOverlap, globToRegExp } from '../src/guards/glob.js';

/*
 * A guard's glob over-approximates: whatever a pattern could name, it matches.
 * These pin the cases where a general-purpose glob library matches less (see
 * the note in src/guards/glob.ts), so a swap that narrows a deny rule fails here.
 */
describe('guard globs', () => {
  it.each([
    ['/home/u/**', '/home/u/../etc/passwd', true],
    ['**', 'a/../../b', true],
    ['**secret**', 'a/secret/b', true],
    ['[!a]x', 'bx', true],
    ['[!a]x', 'ax', false],
    ['(a|b)', '(a|b)', true],
    ['(a|b)', 'a', false],
    ['+(x)', '+(x)', true],
    ['*.env', '.env', true],
    ['**/.env', 'a/b/.env', true],
    ['src/**/*.ts', 'src/a.ts', true],
    ['{a,b}/c', 'b/c', true],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['!foo', '!foo', true],
  ])('%s matches %s: %s', (pattern, text, expected) => {
    expect(globToRegExp(pattern).test(text)).toBe(expected);
  });

  it('a wildcard segment does not reach a dot folder, as in bash; `**` does', () => {
    expect(globOverlap('/w/*/id', '/w/.ssh/id')).toBeNull();
    expect(globOverlap('/w/**', '/w/.ssh')).toBe('inside');
    expect(globOverlap('/w/.s*/id', '/w/.ssh/id')).toBe('inside');
    expect(globOverlap('/*', '/w/.ssh')).toBe('ancestor');
  });
});
