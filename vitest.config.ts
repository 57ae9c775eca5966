import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: real git and real processes in every suite; keep the load bounded.
    maxWorkers: 2,
    env: {
      // Tests must pass on a machine with no git identity and no model key.
      GIT_CONFIG_NOSYSTEM: '1',
      ANTHROPIC_API_KEY: '',
      ANTHROPIC_BASE_URL: '',
    },
  },
});
