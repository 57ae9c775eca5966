// Bundles the CLI into dist/ with code splitting, so each command loads only
// what it uses: `master --version` and `master ticket list` never parse Ink or the SDKs.
import { build } from 'esbuild';
import { chmodSync, readFileSync, rmSync } from 'node:fs';

/**
 * Commander requires node:child_process at load for executable subcommands,
 * which master never declares: loading it (and the modules it pulls) cost
 * every command's start a few milliseconds. It is required on first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, (args) => {
      const eager = "const childProcess = require('node:child_process');";
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes(eager)) throw new Error(`${args.path} no longer loads child_process as the build expects: update lazyChildProcess in scripts/build.mjs`);
      return { contents: text.replace(eager, "const childProcess = { spawn: (...a) => require('node:child_process').spawn(...a) };"), loader: 'js' };
    });
  },
};

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

// Chunk names change with their content: start clean so no stale chunk lingers.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { master: 'src/cli/bin.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Small pure-JS dependencies are bundled (many small files cost startup); big ones load lazily from node_modules.
  // The MCP SDK is bundled too (into chunks only `master mcp` and MCP-using runs load): from node_modules it
  // pulls some 400 files of zod and zod-to-json-schema, which cost `master mcp` most of its start.
  external: ['@anthropic-ai/claude-agent-sdk', 'ink', 'react', 'react/*', 'ink-testing-library', '@anthropic-ai/sdk', '@anthropic-ai/sdk/*', 'yoga-layout'],
  sourcemap: 'linked',
  minifySyntax: true,
  minifyWhitespace: true,
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies bundled into ESM need a real `require` for Node built-ins.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);" },
  jsx: 'automatic',
  define: { MASTER_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
  plugins: [lazyChildProcess],
});

// The `master` bin runs by its shebang (`npm link`, `npx master` in the clone): it must be executable.
chmodSync(new URL('../dist/master.js', import.meta.url), 0o755);
