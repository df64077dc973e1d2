/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const collector = process.env.EVENTSCOPE_COLLECTOR_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    host: '127.0.0.1',
    port: 5173,
    // /auth: single sign-on (the provider redirects back to the collector's public URL).
    proxy: { '/api': collector, '/auth': collector },
  },
  preview: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': collector },
  },
  build: { outDir: 'dist', sourcemap: true },
  test: {
    // Every test asserts something; an empty run is a mistake, not a pass.
    passWithNoTests: false,
    projects: [
      {
        // Components and formatting: jsdom, fetch stubbed with fixtures typed by src/api/types.ts.
        extends: true,
        test: {
          name: 'unit',
          environment: 'jsdom',
          include: ['src/**/*.test.{ts,tsx}'],
          setupFiles: ['src/test/setup.ts'],
          testTimeout: 20_000,
          // One jsdom and one module graph per worker, not per file: 22 -> 6 s of CPU (the
          // setup file clears the DOM and the stubs after each test).
          isolate: false,
        },
      },
      {
        // The built dashboard in Debian's Chromium against a real collector app, and the API
        // contract against the collector's OpenAPI document (see e2e/).
        test: {
          name: 'browser',
          environment: 'node',
          include: ['e2e/**/*.e2e.ts'],
          // Builds dashboard/dist once for every browser test file.
          globalSetup: ['e2e/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          // The collector's app is imported once per worker, not per file (~25% of the CPU).
          isolate: false,
        },
      },
    ],
  },
});
