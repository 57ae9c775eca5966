import { defineConfig } from 'vitest/config';

/**
 * The end-to-end runs, their own project: whole `master start` sessions of the demo, the crash batteries (a
 * session or a dispatch killed at every step, the store's damaged-log battery through the CLI), the real Claude
 * Code CLI, the cockpit in a real terminal, the sandbox walls battery, and the CLI batteries that run the built
 * `master` a hundred times over (every command's exit-code contract, brands and repos, `master mcp` servers). They take minutes on two cores, so
 * `npm test` runs the rest and `npm run test:e2e` runs these; CI runs both.
 */
const E2E = [
  'tests/agents-demo.test.ts',
  'tests/catalog-cli.test.ts',
  'tests/claude-code-agents.test.ts',
  'tests/claude-code.test.ts',
  'tests/cli-contract.test.ts',
  'tests/cockpit-tmux.test.ts',
  'tests/demo.test.ts',
  'tests/dispatch-crash.test.ts',
  'tests/gate-crash.test.ts',
  'tests/gate-recovery.test.ts',
  'tests/mcp-server.test.ts',
  'tests/start-cli.test.ts',
  'tests/store-damage.test.ts',
  'tests/ticket-waiting.test.ts',
  'tests/walls-battery.test.ts',
  'tests/wiki-demo.test.ts',
  'tests/wiki-distill-crash.test.ts',
];

export default defineConfig({
  test: {
    // A bound for a hung test, not a speed target: real processes on a shared two-core machine can take a minute.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: real git and real processes in every suite; keep the load bounded.
    maxWorkers: 2,
    env: {
      // Tests must pass on a machine with no git identity and no model key.
      GIT_CONFIG_NOSYSTEM: '1',
      ANTHROPIC_API_KEY: '',
      ANTHROPIC_BASE_URL: '',
    },
    projects: [
      { extends: true, test: { name: 'fast', include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'], exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
