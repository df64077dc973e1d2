import { defineConfig } from 'vitest/config';

// The smoke test runs the harness at tiny sizes against a collector child process on
// 127.0.0.1 (background work off); the lag part needs the broker, like the collector's tests.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['../devstack/src/vitest-global-setup.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
