/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

/** Browser tests (e2e/*.e2e.ts): Node environment, one file at a time, generous timeouts. */
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    passWithNoTests: false,
  },
});
