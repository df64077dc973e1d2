import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { configReference, loadConfig, redactConfig, terminalTypesMap } from '../src/config.ts';
import type { SpanData } from '../src/traces/span.ts';
import { DEFAULT_RULES } from '../src/flows/hops.ts';
import { specSecurity } from '../src/kafka/security.ts';

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig({});
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.otlpPort).toBe(4318);
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.dlqPattern).toBe('*.dlq');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the environment, parsing types', () => {
    const config = loadConfig({
      KAFKA_BROKERS: 'a:1, b:2',
      EVENTSCOPE_PORT: '9000',
      EVENTSCOPE_PER_PARTITION_METRICS: 'true',
      EVENTSCOPE_LOG_LEVEL: 'debug',
    });
    expect(config.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(config.port).toBe(9000);
    expect(config.perPartitionMetrics).toBe(true);
    expect(config.logLevel).toBe('debug');
  });

  it('refuses a bad value, naming the key and the valid values', () => {
    expect(() => loadConfig({ EVENTSCOPE_STORE: 'mysql' })).toThrow(
      /EVENTSCOPE_STORE.*one of sqlite, postgres, got "mysql"/,
    );
    expect(() => loadConfig({ EVENTSCOPE_PORT: 'eighty' })).toThrow(/EVENTSCOPE_PORT.*integer/);
    expect(() => loadConfig({ EVENTSCOPE_POLL_INTERVAL_MS: '5' })).toThrow(/>= 200/);
  });

  it('takes the PostgreSQL store and its keys, and masks the URL', () => {
    const config = loadConfig({
      EVENTSCOPE_STORE: 'postgres',
      EVENTSCOPE_POSTGRES_URL: 'postgres://u:secret@db:5432/es',
      EVENTSCOPE_POSTGRES_POOL_SIZE: '3',
    });
    expect(config).toMatchObject({ store: 'postgres', postgresPoolSize: 3, postgresPartitionRows: 250_000 });
    expect(JSON.stringify(redactConfig(config))).not.toContain('secret');
    expect(() => loadConfig({ EVENTSCOPE_POSTGRES_POOL_SIZE: '0' })).toThrow(/EVENTSCOPE_POSTGRES_POOL_SIZE.*>= 1/);
    expect(configReference()).toMatch(/postgresPartitionRows/);
  });

  it("reads the store's page cache size, at least 1 MB", () => {
    expect(loadConfig({}).storeCacheMb).toBe(16);
    expect(loadConfig({ EVENTSCOPE_STORE_CACHE_MB: '4' }).storeCacheMb).toBe(4);
    expect(() => loadConfig({ EVENTSCOPE_STORE_CACHE_MB: '0' })).toThrow(/EVENTSCOPE_STORE_CACHE_MB.*>= 1/);
  });

  it('refuses unknown EVENTSCOPE_ variables and unknown file keys', () => {
    expect(() => loadConfig({ EVENTSCOPE_PROT: '1' })).toThrow(/EVENTSCOPE_PROT/);
    const dir = mkdtempSync(path.join(tmpdir(), 'es-config-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ port: 1234, pollIntervalMs: 1000, nope: 1 }));
    expect(() => loadConfig({ EVENTSCOPE_CONFIG_FILE: file })).toThrow(/unknown key\(s\) nope/);
    writeFileSync(file, JSON.stringify({ port: 1234, pollIntervalMs: 1000 }));
    const config = loadConfig({ EVENTSCOPE_CONFIG_FILE: file, EVENTSCOPE_PORT: '4321' });
    expect(config.pollIntervalMs).toBe(1000);
    expect(config.port).toBe(4321); // the environment wins over the file
  });

  it('reads the saga rules, record-read cap, DLQ tail size, audit grace and poll deadline', () => {
    const defaults = loadConfig({});
    // The defaults are the demo's rules, as flows/ has them.
    expect(terminalTypesMap(defaults.sagaTerminalTypes)).toEqual(DEFAULT_RULES.terminalTypes);
    expect(defaults.sagaCompensationTypes).toEqual(DEFAULT_RULES.compensationTypes);
    expect(defaults.recordReadsPerCycle).toBe(200);
    expect(defaults.dlqLatestRecords).toBe(20);
    expect(defaults.auditGraceMs).toBe(30_000);
    expect(defaults.pollDeadlineMs).toBe(30_000);
    const config = loadConfig({
      EVENTSCOPE_SAGA_TERMINAL_TYPES: 'shipment.delivered=completed, shipment.lost=failed,shipment.undone=compensated',
      EVENTSCOPE_SAGA_COMPENSATION_TYPES: '*.undone,refund.*',
      EVENTSCOPE_RECORD_READS_PER_CYCLE: '0',
      EVENTSCOPE_DLQ_LATEST_RECORDS: '50',
      EVENTSCOPE_AUDIT_GRACE_MS: '5000',
      EVENTSCOPE_POLL_DEADLINE_MS: '10000',
    });
    expect(terminalTypesMap(config.sagaTerminalTypes)).toEqual({
      'shipment.delivered': 'completed',
      'shipment.lost': 'failed',
      'shipment.undone': 'compensated',
    });
    expect(config.sagaCompensationTypes).toEqual(['*.undone', 'refund.*']);
    expect(config.recordReadsPerCycle).toBe(0);
    expect(config.dlqLatestRecords).toBe(50);
    expect(config.auditGraceMs).toBe(5000);
    expect(config.pollDeadlineMs).toBe(10_000);
  });

  it('refuses bad saga rules and out-of-range caps, naming the key and what is wrong', () => {
    expect(() => loadConfig({ EVENTSCOPE_SAGA_TERMINAL_TYPES: 'order.completed' })).toThrow(
      /sagaTerminalTypes \(EVENTSCOPE_SAGA_TERMINAL_TYPES\).*"order.completed" is not event-type=outcome/,
    );
    expect(() => loadConfig({ EVENTSCOPE_SAGA_TERMINAL_TYPES: 'order.completed=done' })).toThrow(
      /EVENTSCOPE_SAGA_TERMINAL_TYPES.*outcome must be one of completed, failed, compensated/,
    );
    expect(() => loadConfig({ EVENTSCOPE_SAGA_TERMINAL_TYPES: '=completed' })).toThrow(/not event-type=outcome/);
    expect(() => loadConfig({ EVENTSCOPE_SAGA_COMPENSATION_TYPES: '*.refunded=yes' })).toThrow(
      /EVENTSCOPE_SAGA_COMPENSATION_TYPES.*"\*.refunded=yes"/,
    );
    expect(() => loadConfig({ EVENTSCOPE_RECORD_READS_PER_CYCLE: '-1' })).toThrow(
      /EVENTSCOPE_RECORD_READS_PER_CYCLE.*>= 0/,
    );
    expect(() => loadConfig({ EVENTSCOPE_DLQ_LATEST_RECORDS: '0' })).toThrow(/EVENTSCOPE_DLQ_LATEST_RECORDS.*>= 1/);
    expect(() => loadConfig({ EVENTSCOPE_DLQ_LATEST_RECORDS: '5000' })).toThrow(/<= 1000/);
    expect(() => loadConfig({ EVENTSCOPE_AUDIT_GRACE_MS: 'soon' })).toThrow(/EVENTSCOPE_AUDIT_GRACE_MS.*integer/);
    expect(() => loadConfig({ EVENTSCOPE_POLL_DEADLINE_MS: '10' })).toThrow(/EVENTSCOPE_POLL_DEADLINE_MS.*>= 100/);
    // The file is checked the same way.
    const dir = mkdtempSync(path.join(tmpdir(), 'es-config-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ sagaTerminalTypes: ['order.completed=finished'] }));
    expect(() => loadConfig({ EVENTSCOPE_CONFIG_FILE: file })).toThrow(/sagaTerminalTypes.*outcome must be one of/);
  });

  it('decides how sagas end by the configured rules', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'es-config-app-'));
    const config = loadConfig(
      {},
      {
        dataDir,
        sagaTerminalTypes: ['shipment.delivered=completed', 'shipment.lost=failed'],
        sagaCompensationTypes: ['*.undo'],
      },
    );
    const app = await buildApp({ config, background: false });
    try {
      const t = Date.now() * 1000 - 1_000_000;
      let n = 0;
      const span = (kind: 'producer' | 'consumer', type: string, corr: string, at: number): SpanData => ({
        traceId: 'a'.repeat(31) + String(n % 10),
        spanId: (++n).toString(16).padStart(16, '0'),
        parentSpanId: null,
        name: `${kind} ${type}`,
        kind,
        startUs: t + at,
        endUs: t + at + 500,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': type,
          'messaging.message.id': `${corr}-${type}`,
          'eventscope.event.type': type,
          'eventscope.correlation.id': corr,
          ...(kind === 'consumer' ? { 'messaging.consumer.group.name': 'g' } : {}),
        },
        links: [],
        status: 'unset',
        statusMessage: null,
        service: 'svc',
      });
      await app.flows.ingest([
        span('producer', 'shipment.created', 'ship-1', 0),
        span('producer', 'payment.undo', 'ship-1', 1000),
        span('producer', 'shipment.lost', 'ship-1', 2000),
        span('consumer', 'shipment.lost', 'ship-1', 3000),
        // order.completed is not terminal under these rules.
        span('producer', 'order.placed', 'order-1', 0),
        span('producer', 'order.completed', 'order-1', 1000),
        span('consumer', 'order.completed', 'order-1', 2000),
      ]);
      const shipment = (await app.inject('/api/sagas/ship-1')).json<{ status: string; endToEndMs: number }>();
      expect(shipment.status).toBe('compensated');
      expect(shipment.endToEndMs).toBe(3);
      const order = (await app.inject('/api/sagas/order-1')).json<{ status: string }>();
      expect(order.status).toBe('in_flight');
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('masks secrets for logging', () => {
    const config = loadConfig({ EVENTSCOPE_API_TOKEN: 's3cret' });
    expect(config.apiToken).toBe('s3cret');
    expect(JSON.stringify(redactConfig(config))).not.toContain('s3cret');
  });

  it('keeps docs/configuration.md in step with the config table (npm run docs -w collector)', () => {
    const doc = readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    expect(doc).toBe(configReference());
  });
});

describe('several Kafka clusters (kafkaClusterName, kafkaClusters)', () => {
  const env = (clusters: unknown) => ({ EVENTSCOPE_KAFKA_CLUSTERS: JSON.stringify(clusters) });

  it('names the primary cluster `default` and has no further ones by default', () => {
    const config = loadConfig({});
    expect(config.kafkaClusterName).toBe('default');
    expect(config.kafkaClusters).toEqual([]);
  });

  it('reads the clusters as JSON text from the environment and as an array from the file', () => {
    const east = { name: 'east', brokers: ['e1:9092', 'e2:9092'], clientId: 'es-east' };
    expect(loadConfig({ ...env([east]), EVENTSCOPE_KAFKA_CLUSTER_NAME: 'west' })).toMatchObject({
      kafkaClusterName: 'west',
      kafkaClusters: [east],
    });
    const dir = mkdtempSync(path.join(tmpdir(), 'eventscope-clusters-'));
    try {
      const file = path.join(dir, 'config.json');
      writeFileSync(file, JSON.stringify({ kafkaClusters: [east] }));
      expect(loadConfig({ EVENTSCOPE_CONFIG_FILE: file }).kafkaClusters).toEqual([east]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    ['not JSON', 'east', /EVENTSCOPE_KAFKA_CLUSTERS.*expected a JSON array of clusters/],
    ['not an array', JSON.stringify({ name: 'east' }), /expected a JSON array of clusters/],
    [
      'an unknown key',
      JSON.stringify([{ name: 'east', brokers: ['a:1'], pasword: 'x' }]),
      /entry 0 \("east"\).*"pasword".*valid keys: name, brokers/,
    ],
    ['no brokers', JSON.stringify([{ name: 'east', brokers: [] }]), /entry 0 \("east"\): brokers/],
    ['a bad name', JSON.stringify([{ name: 'east coast', brokers: ['a:1'] }]), /entry 0 \("east coast"\): name/],
    [
      'a name used twice',
      JSON.stringify([
        { name: 'e', brokers: ['a:1'] },
        { name: 'e', brokers: ['b:1'] },
      ]),
      /entry 1 \("e"\).*used twice/,
    ],
    ['the primary name', JSON.stringify([{ name: 'default', brokers: ['a:1'] }]), /"default" is the primary cluster's/],
    [
      'a bad mechanism',
      JSON.stringify([{ name: 'e', brokers: ['a:1'], saslMechanism: 'GSSAPI' }]),
      /entry 0 \("e"\): saslMechanism/,
    ],
  ])('refuses %s, naming the entry', (_what, raw, message) => {
    expect(() => loadConfig({ EVENTSCOPE_KAFKA_CLUSTERS: raw })).toThrow(message);
  });

  it('refuses a bad primary cluster name', () => {
    expect(() => loadConfig({ EVENTSCOPE_KAFKA_CLUSTER_NAME: 'a/b' })).toThrow(
      /EVENTSCOPE_KAFKA_CLUSTER_NAME.*must match/,
    );
  });

  it.each([
    [{ tlsCaFile: '/x.pem' }, /kafkaClusters\[east\]\.tlsCaFile set while kafkaClusters\[east\]\.tls is not true/],
    [{ tls: true, tlsCaFile: '/no/such/ca.pem' }, /kafkaClusters\[east\]\.tlsCaFile: cannot read \/no\/such\/ca.pem/],
    [{ saslMechanism: 'PLAIN', saslUsername: 'u' }, /needs exactly one of kafkaClusters\[east\]\.saslPassword and/],
  ])("checks an entry's TLS and SASL as the primary's, naming the entry: %o", (settings, message) => {
    const [spec] = loadConfig(env([{ name: 'east', brokers: ['a:1'], ...settings }])).kafkaClusters;
    expect(() => specSecurity(spec ?? { name: 'none', brokers: [] })).toThrow(message);
  });

  it("masks an entry's SASL password for logging", () => {
    const config = loadConfig(
      env([{ name: 'east', brokers: ['a:1'], saslMechanism: 'PLAIN', saslUsername: 'u', saslPassword: 'hunter2' }]),
    );
    const redacted = JSON.stringify(redactConfig(config));
    expect(redacted).not.toContain('hunter2');
    expect(redacted).toContain('"saslUsername":"u"');
  });
});
