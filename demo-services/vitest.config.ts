import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['../devstack/src/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    passWithNoTests: true,
    // The suites start real service processes; on a small machine they must not all run at once.
    fileParallelism: false,
  },
});
