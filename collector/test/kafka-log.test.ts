/** How kafkajs's log entries are leveled in the collector's log (kafka/adapter.ts kafkajsLevel). */
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkajsLevel } from '../src/kafka/adapter.ts';

describe('kafkajs log levels', () => {
  it('logs a failed response kafkajs retries (leader moved, topic churn) at debug, not error', () => {
    expect(kafkajsLevel(logLevel.ERROR, { error: 'This server is not the leader for that topic-partition' })).toBe(
      'debug',
    );
    expect(kafkajsLevel(logLevel.ERROR, { error: 'This server does not host this topic-partition' })).toBe('debug');
  });

  it('keeps errors kafkajs does not retry, and every other level, as they are', () => {
    expect(
      kafkajsLevel(logLevel.ERROR, { error: 'Not authorized to access topics: [Topic authorization failed]' }),
    ).toBe('error');
    expect(kafkajsLevel(logLevel.ERROR, { error: 'Connection timeout' })).toBe('error');
    expect(kafkajsLevel(logLevel.ERROR, {})).toBe('error');
    expect(kafkajsLevel(logLevel.WARN, { error: 'This server is not the leader for that topic-partition' })).toBe(
      'warn',
    );
    expect(kafkajsLevel(logLevel.INFO, {})).toBe('info');
  });
});
