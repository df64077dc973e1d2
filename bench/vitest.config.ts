import { defineConfig } from 'vitest/config';

// The smoke test needs no broker: it runs the harness at tiny sizes against a collector
// child process on 127.0.0.1 with background work off.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
  },
});
