import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { master, tempDir } from './helpers/cli.js';

function workspaceWith(registry: unknown): string {
  const home = tempDir();
  writeFileSync(path.join(home, 'registry.json'), typeof registry === 'string' ? registry : JSON.stringify(registry));
  return home;
}

const repo = (over: Record<string, unknown> = {}) => ({ id: 'r1', path: 'repos/r1', mainBranch: 'main', ...over });
const brands = (n: number, last: Record<string, unknown> = {}) =>
  Array.from({ length: n }, (_, i) => ({ id: `b${i}`, name: `B${i}`, repos: [i === n - 1 ? repo({ id: `r${i}`, ...last }) : repo({ id: `r${i}` })] }));

const CASES: Array<[string, unknown, RegExp]> = [
  ['a field of the wrong type', { brands: brands(5, { mainBranch: 42 }) }, /brands\["b4"\]\.repos\["r4"\]\.mainBranch: expected string, found number 42/],
  ['an unknown key', { brands: [], colour: 'blue' }, /\(top level\): unknown key "colour"/],
  ['an unknown nested key', { brands: [{ id: 'a', name: 'A', repos: [], lanez: 2 }] }, /brands\["a"\]: unknown key "lanez"/],
  ['a missing required field', { brands: [{ id: 'a', repos: [] }] }, /brands\["a"\]\.name: expected string, found nothing/],
  ['a bad enum', { brands: [], models: { provider: 'openai' } }, /models\.provider: expected one of "anthropic", "scripted", found string "openai"/],
  [
    'a duplicate brand id',
    {
      brands: [
        { id: 'a', name: 'A' },
        { id: 'a', name: 'A2' },
      ],
    },
    /brands\[1\]\.id: duplicate brand id "a"/,
  ],
  [
    'a duplicate repo id',
    {
      brands: [
        { id: 'a', name: 'A', repos: [repo()] },
        { id: 'b', name: 'B', repos: [repo()] },
      ],
    },
    /brands\["b"\]\.repos\["r1"\]\.id: duplicate repo id "r1"/,
  ],
  ['an unknown contract reference', { brands: [], models: { contracts: { janitor: 'm' } } }, /models\.contracts/],
  ['a bad time zone', { brands: [], timezone: 'Mars/Olympus' }, /timezone: .*IANA time zone/],
  ['brands missing entirely', {}, /brands: expected array, found nothing/],
];

describe('registry validation', () => {
  it.each(CASES)('%s: exit 2, the field path, nothing written', (_name, registry, message) => {
    const home = workspaceWith(registry);
    const result = master(['ticket', 'list', '--home', home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain(path.join(home, 'registry.json'));
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(home, '.master'))).toBe(false);
    expect(master(['registry', 'validate', path.join(home, 'registry.json')]).code).toBe(2);
  });

  it('a missing registry says how to create one', () => {
    const home = tempDir();
    const result = master(['ticket', 'list', '--home', home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no registry here; run `master init`/);
    expect(existsSync(path.join(home, '.master'))).toBe(false);
  });

  it('an unparsable registry names the file and the JSON error', () => {
    const home = workspaceWith('{ "brands": [ ');
    const result = master(['ticket', 'list', '--home', home]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/registry\.json: not valid JSON at line 1, column 15: the file ends too early/);
  });

  it('a JSON syntax error names its line and column', () => {
    const home = workspaceWith('{\n  "brands": [\n    { "id": "a", "name": "A", },\n  ]\n}\n');
    const result = master(['registry', 'validate', path.join(home, 'registry.json')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/not valid JSON at line 3, column 31: Expected double-quoted property name/);
  });

  it('the repository top-level registry is a valid seven-brand example', () => {
    const result = master(['registry', 'validate']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/valid \(7 brands, 9 repos\)/);
  });

  it('prints the JSON Schema generated from the zod schema', () => {
    const result = master(['registry', 'schema']);
    expect(result.code).toBe(0);
    const schema = JSON.parse(result.stdout);
    expect(schema.type).toBe('object');
    expect(schema.properties.brands.type).toBe('array');
    expect(schema.additionalProperties).toBe(false);
  });

  it('MASTER_HOME picks the workspace when --home is absent, --home wins over it', () => {
    const a = tempDir();
    mkdirSync(a, { recursive: true });
    expect(master(['init', a]).code).toBe(0);
    const viaEnv = master(['ticket', 'list'], { env: { MASTER_HOME: a } });
    expect(viaEnv.code).toBe(0);
    const bad = tempDir();
    const viaFlag = master(['ticket', 'list', '--home', bad], { env: { MASTER_HOME: a } });
    expect(viaFlag.code).toBe(2);
  });
});
