/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const collector = process.env.EVENTSCOPE_COLLECTOR_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': collector },
  },
  preview: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/api': collector },
  },
  build: { outDir: 'dist', sourcemap: true },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test/setup.ts'],
    testTimeout: 20_000,
    // Every component test asserts something; an empty run is a mistake, not a pass.
    passWithNoTests: false,
  },
});
