import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configReference, loadConfig, redactConfig } from '../src/config.ts';

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
      EVENTSCOPE_STORE: 'postgres',
    });
    expect(config.kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(config.port).toBe(9000);
    expect(config.perPartitionMetrics).toBe(true);
    expect(config.store).toBe('postgres');
  });

  it('refuses a bad value, naming the key and the valid values', () => {
    expect(() => loadConfig({ EVENTSCOPE_STORE: 'mysql' })).toThrow(/EVENTSCOPE_STORE.*one of sqlite, postgres/);
    expect(() => loadConfig({ EVENTSCOPE_PORT: 'eighty' })).toThrow(/EVENTSCOPE_PORT.*integer/);
    expect(() => loadConfig({ EVENTSCOPE_POLL_INTERVAL_MS: '5' })).toThrow(/>= 200/);
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
