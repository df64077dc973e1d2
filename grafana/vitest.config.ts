import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The integration test needs a real broker and registry (started here when run alone).
    globalSetup: ['../devstack/src/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    // The integration test starts the collector, Prometheus and the demo services: one file at a time.
    fileParallelism: false,
  },
});
