/**
 * The collector on a secured cluster: a real Kafka broker that devstack starts with a SASL_SSL
 * listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and a mutual-TLS listener, certificates from a
 * CA made for this test and SCRAM users added with Kafka's own config tool. A wrong password or
 * an untrusted certificate: /readyz says which cluster and why, the log says it once, the
 * process keeps serving, and it recovers by itself once the password file is right again.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { DEFAULT_KAFKA_VERSION, ensureKafka, freePort, makePki, setScramCredential } from '@eventscope/devstack';
import type { KafkaHandle, Pki } from '@eventscope/devstack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import { loadConfig } from '../src/config.ts';
import { kafkaSecurity } from '../src/kafka/security.ts';
import { removeDir, startApp, tempDir, waitFor, type TestApp } from './harness.ts';

let broker: KafkaHandle;
let pki: Pki;
let otherPki: Pki;
let dir: string;
const topic = `secure-${Date.now().toString(36)}`;
const apps: TestApp[] = [];

beforeAll(async () => {
  dir = tempDir('kafka-secure');
  [pki, otherPki] = await Promise.all([makePki(path.join(dir, 'pki')), makePki(path.join(dir, 'other-pki'))]);
  const [port, saslPort, mtlsPort] = [await freePort(), await freePort(), await freePort()];
  broker = await ensureKafka({
    version: DEFAULT_KAFKA_VERSION,
    port,
    controllerPort: await freePort(),
    fresh: true,
    instance: 'secure-test',
    secure: { saslPort, mtlsPort, pki, plainUsers: new Map([['plain-user', 'plain-secret']]) },
  });
  await Promise.all([
    setScramCredential(broker.brokers, DEFAULT_KAFKA_VERSION, 'SCRAM-SHA-256', 'scram256', 'secret-256'),
    setScramCredential(broker.brokers, DEFAULT_KAFKA_VERSION, 'SCRAM-SHA-512', 'scram512', 'secret-512'),
  ]);
  const admin = new Admin({ clientId: 'secure-test', bootstrapBrokers: [broker.brokers] });
  try {
    await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1 });
  } finally {
    await admin.close();
  }
}, 180_000);

afterAll(async () => {
  for (const a of apps) await a.close();
  await broker?.stop();
  if (dir) removeDir(dir);
});

async function collector(overrides: Partial<Config>): Promise<TestApp> {
  const t = await startApp({ overrides: { pollIntervalMs: 300, ...overrides }, background: true });
  apps.push(t);
  return t;
}

async function readyz(t: TestApp): Promise<{ status: number; kafka: string }> {
  const res = await t.app.inject('/readyz');
  return { status: res.statusCode, kafka: res.json<{ checks: Record<string, string> }>().checks.kafka ?? '' };
}

/** Ready, and the monitor's topics (read over the secured listener) include the test's topic. */
async function seesTopic(t: TestApp): Promise<void> {
  await waitFor(
    'the collector to list the topic over the secured listener',
    async () => {
      const res = await t.app.inject('/api/topics');
      const body = res.json<{ topics?: { topic: string }[] }>();
      return body.topics?.some((x) => x.topic === topic);
    },
    60_000,
  );
  expect((await readyz(t)).kafka).toBe('ok');
}

describe('a secured cluster', () => {
  it.each([
    ['PLAIN', 'plain-user', 'plain-secret'],
    ['SCRAM-SHA-256', 'scram256', 'secret-256'],
    ['SCRAM-SHA-512', 'scram512', 'secret-512'],
  ] as const)('monitors it over SASL_SSL with %s', async (mechanism, user, password) => {
    const t = await collector({
      kafkaBrokers: [broker.secure?.saslBrokers ?? ''],
      kafkaTls: true,
      kafkaTlsCaFile: pki.caFile,
      kafkaSaslMechanism: mechanism,
      kafkaSaslUsername: user,
      kafkaSaslPassword: password,
    });
    await seesTopic(t);
  });

  it('monitors it over mutual TLS with a client certificate', async () => {
    const t = await collector({
      kafkaBrokers: [broker.secure?.mtlsBrokers ?? ''],
      kafkaTls: true,
      kafkaTlsCaFile: pki.caFile,
      kafkaTlsCertFile: pki.clientCertFile,
      kafkaTlsKeyFile: pki.clientKeyFile,
    });
    await seesTopic(t);
  });

  it('says why when the password is wrong, keeps serving, and recovers when the file is right', async () => {
    const passwordFile = path.join(dir, 'scram-password');
    writeFileSync(passwordFile, 'not-the-password\n');
    const logged: string[] = [];
    const t = await collector({
      kafkaBrokers: [broker.secure?.saslBrokers ?? ''],
      kafkaTls: true,
      kafkaTlsCaFile: pki.caFile,
      kafkaSaslMechanism: 'SCRAM-SHA-512',
      kafkaSaslUsername: 'scram512',
      kafkaSaslPasswordFile: passwordFile,
    });
    for (const level of ['warn', 'info'] as const) {
      const capture = (obj: unknown, msg?: string): void => {
        logged.push(typeof obj === 'string' ? obj : (msg ?? ''));
      };
      t.app.log[level] = capture;
    }
    const down = await waitFor('a not-ready answer naming the cluster', async () => {
      const r = await readyz(t);
      return r.status === 503 && /auth/i.test(r.kafka) ? r : undefined;
    });
    expect(down.kafka).toContain(broker.secure?.saslBrokers);
    expect((await t.app.inject('/healthz')).statusCode).toBe(200);
    expect((await t.app.inject('/api/groups')).statusCode).toBe(200);
    // Several polls later the reason was still logged once.
    await waitFor('three failed polls', async () => {
      const m = /eventscope_kafka_poll_errors_total\{cluster="default",stage="list_topics"\} (\d+)/.exec(
        (await t.app.inject('/metrics')).body,
      );
      return Number(m?.[1] ?? 0) >= 3;
    });
    expect(logged.filter((l) => l.includes('SASL authentication failed'))).toHaveLength(1);
    writeFileSync(passwordFile, 'secret-512\n');
    await seesTopic(t);
    await waitFor('the recovery logged', () => logged.some((l) => l.includes('works again')));
  });

  it('refuses a broker whose certificate it does not trust, and says so', async () => {
    const t = await collector({
      kafkaBrokers: [broker.secure?.mtlsBrokers ?? ''],
      kafkaTls: true,
      kafkaTlsCaFile: otherPki.caFile,
      kafkaTlsCertFile: pki.clientCertFile,
      kafkaTlsKeyFile: pki.clientKeyFile,
    });
    const down = await waitFor('a not-ready answer about the certificate', async () => {
      const r = await readyz(t);
      return r.status === 503 && /certificate/i.test(r.kafka) ? r : undefined;
    });
    expect(down.kafka).toContain(broker.secure?.mtlsBrokers);
  });
});

describe('security settings', () => {
  it.each([
    [{ kafkaTlsCaFile: '/x.pem' }, /while kafkaTls is not true/],
    [{ kafkaTls: true, kafkaTlsCertFile: '/x.pem' }, /go together/],
    [{ kafkaSaslMechanism: 'PLAIN' }, /needs kafkaSaslUsername/],
    [{ kafkaSaslMechanism: 'PLAIN', kafkaSaslUsername: 'u' }, /exactly one of/],
    [{ kafkaSaslUsername: 'u' }, /without kafkaSaslMechanism/],
    [{ kafkaTls: true, kafkaTlsCaFile: '/no/such/ca.pem' }, /cannot read \/no\/such\/ca.pem/],
  ] as [Partial<Config>, RegExp][])('refuses a half-made setting: %o', (overrides, message) => {
    expect(() => kafkaSecurity(loadConfig({}, overrides))).toThrow(message);
  });

  it('keeps the password out of the redacted config', async () => {
    const { redactConfig } = await import('../src/config.ts');
    const config = loadConfig({ EVENTSCOPE_KAFKA_SASL_PASSWORD: 'hunter2' });
    expect(JSON.stringify(redactConfig(config))).not.toContain('hunter2');
  });
});
