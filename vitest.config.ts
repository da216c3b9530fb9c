import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds the Go test helpers (vcsim launcher, parser readers) once.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: suites each start their own simulator; keep it bounded.
    pool: 'forks',
    maxWorkers: 2,
    // The JSON report feeds the one-line summary .ci/run prints.
    reporters: ['default', ['json', { outputFile: '.cache/vitest-report.json' }]],
  },
});
