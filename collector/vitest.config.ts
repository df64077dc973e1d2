import { defineConfig } from 'vitest/config';

/**
 * Files that never run the Kafka monitor against the shared broker (store contract, OTLP intake,
 * auth, config, the secured-broker test on a broker of its own). `npm test` runs them as the
 * `standalone` project in its second lane, beside the `broker` project in the first (see
 * devstack/src/cli.ts); `npx vitest run` here runs every project.
 */
const STANDALONE = [
  'test/store.*.test.ts',
  'test/kafka-secure.test.ts',
  'test/config.test.ts',
  'test/contract.docs.test.ts',
  'test/auth*.test.ts',
  'test/hostile.{json,decoders,routes}.test.ts',
  'test/traces.{otlp,grpc,intake,protobuf-spans,java-agent,java-agent-grpc,java-node-saga,platformatic}.test.ts',
  'test/flows.instrumentations.test.ts',
  'test/search-prefix.test.ts',
  'test/start.test.ts',
  'test/server.grpc.test.ts',
  'test/masking.test.ts',
];

/**
 * Files whose collectors watch only groups and topics of a prefix of their own (the demo suites
 * through demo-helpers.ts' startCollector, a collector restart, the OTLP-in-Kafka receiver's two
 * processes): topics that other files make and delete on the same broker change nothing they
 * assert. `npm test` runs them as the `scoped` project in a lane of their own (see
 * devstack/src/cli.ts); lag-leader qualifies too, should the first lane grow.
 */
const SCOPED = [
  'test/restart.test.ts',
  'test/traces.kafka.test.ts',
  'test/demo.e2e.test.ts',
  'test/audit.{chaos,skip}.test.ts',
  'test/dlq.redrive.e2e.test.ts',
  'test/hostile.kafka.test.ts',
];

export default defineConfig({
  test: {
    globalSetup: ['../devstack/src/vitest-global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One file at a time: the Kafka monitor tests poll the whole shared broker, and other
    // files creating and deleting topics meanwhile made a poll outlast a test's timeout
    // (seen once in CI: dlq.test.ts "decodes Avro values ..."). See the issue note.
    fileParallelism: false,
    // The files share one worker's module graph: each imported the app (Fastify, the Kafka
    // clients, OpenTelemetry, SQLite) afresh before, ~20% of the projects' CPU in npm test. A
    // file leaves no globals behind (otel-sdk.ts clears the OpenTelemetry API's).
    isolate: false,
    projects: [
      {
        extends: true,
        test: { name: 'broker', include: ['test/**/*.test.ts'], exclude: [...STANDALONE, ...SCOPED] },
      },
      { extends: true, test: { name: 'standalone', include: STANDALONE } },
      { extends: true, test: { name: 'scoped', include: SCOPED } },
    ],
  },
});
