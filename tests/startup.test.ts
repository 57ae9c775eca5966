import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, tempDir } from './helpers/cli.js';
import { makeWikiWorkspace, page, writePages } from './helpers/wiki.js';
import { makeSimpleWorkspace } from './helpers/workspace.js';

const HEAVY = [/node_modules\/ink\//, /node_modules\/react\//, /@anthropic-ai\/sdk/, /@modelcontextprotocol\/sdk/];

function modulesLoadedBy(args: string[], input = ''): string[] {
  const trace = path.join(tempDir(), 'imports.txt');
  const result = spawnSync(process.execPath, ['--import', path.join(ROOT, 'tests/fixtures/trace-imports.mjs'), BIN, ...args], {
    env: { ...process.env, TRACE_IMPORTS: trace },
    encoding: 'utf8',
    input,
  });
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(trace, 'utf8').trim().split('\n');
}

function builtinsLoadedBy(args: string[]): string[] {
  const trace = path.join(tempDir(), 'builtins.txt');
  const result = spawnSync(process.execPath, ['--import', path.join(ROOT, 'tests/fixtures/trace-builtins.mjs'), BIN, ...args], {
    env: { ...process.env, TRACE_BUILTINS: trace },
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(trace, 'utf8').trim().split('\n');
}

/** A bundled chunk that holds the MCP SDK's protocol code. */
function loadsMcpSdk(url: string): boolean {
  if (!url.startsWith('file:') || !url.includes('/dist/')) return false;
  return readFileSync(new URL(url), 'utf8').includes('notifications/initialized');
}

describe('startup', () => {
  it('master --version, master ticket list and master wiki list load neither Ink nor the SDKs nor git', () => {
    const home = makeSimpleWorkspace();
    for (const args of [['--version'], ['ticket', 'list', '--home', home], ['wiki', 'list', '--home', home]]) {
      const loaded = modulesLoadedBy(args);
      expect(loaded.length).toBeGreaterThan(1);
      for (const heavy of HEAVY)
        expect(
          loaded.filter((url) => heavy.test(url)),
          `${args.join(' ')} loads ${heavy}`,
        ).toEqual([]);
    }
    // The trace sees heavy modules when a command does load them (so the check above can fail).
    // (git runs as plain processes now; an agent run is what loads the model SDK from node_modules.)
    const demo = path.join(tempDir(), 'demo');
    expect(spawnSync(process.execPath, [BIN, 'demo', '--dir', demo], { encoding: 'utf8' }).status).toBe(0);
    const dispatch = modulesLoadedBy(['start', '--ci', '--only', 'dispatch', '--home', demo]);
    expect(dispatch.some((url) => /@anthropic-ai\/sdk/.test(url))).toBe(true);
    // The MCP SDK is bundled into chunks of its own: recognised by its protocol strings.
    const mcp = modulesLoadedBy(['mcp', '--home', home]);
    expect(mcp.filter(loadsMcpSdk).length).toBeGreaterThan(0);
    for (const args of [['--version'], ['ticket', 'list', '--home', home]]) expect(modulesLoadedBy(args).filter(loadsMcpSdk), args.join(' ')).toEqual([]);
  });

  it('a search of an unchanged wiki loads neither child_process (commander asks for it) nor crypto (page hashes)', () => {
    const home = makeWikiWorkspace();
    const search = ['wiki', 'search', 'release', '--home', home];
    // The first search builds the catalog: it hashes every page.
    expect(builtinsLoadedBy(search)).toContain('crypto');
    const loaded = builtinsLoadedBy(search);
    expect(loaded).toContain('fs');
    expect(loaded.filter((m) => m === 'child_process' || m === 'crypto')).toEqual([]);
    // A page edited by hand is hashed again, so the trace can see crypto when it is loaded.
    writePages(home, { 'global/lonely': page('Lonely', 'global', 'Edited by hand.') });
    expect(builtinsLoadedBy(search)).toContain('crypto');
  });
});
