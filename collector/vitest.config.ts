import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['../devstack/src/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One file at a time: the Kafka monitor tests poll the whole shared broker, and other
    // files creating and deleting topics meanwhile made a poll outlast a test's timeout
    // (seen once in CI: dlq.test.ts "decodes Avro values ..."). See the issue note.
    fileParallelism: false,
  },
});
