/**
 * A real Prometheus (the Debian package) scraping a real collector (`node
 * collector/src/server.ts`) that watches a real consumer group on the real broker:
 *  - the repository's rules load and evaluate; a test-only copy of EventscopeConsumerLagHigh
 *    (same expression, threshold 3 s and for: 5s instead of 300 s and 5m) goes pending, then
 *    firing when the group stops, and resolves when it consumes again;
 *  - every query of every Grafana dashboard (grafana/dashboards/*.json) runs against the
 *    Prometheus API without error, and the core panels return data.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findTool, PROMETHEUS, repoRoot } from '../src/index.ts';
import { freePort, startDaemon, tail, waitFor, type Daemon } from '../src/proc.ts';
import { requireEnv, uniqueName } from './helpers.ts';

const brokers = requireEnv('KAFKA_BROKERS').split(',');
const base = uniqueName('es-prom');
const topic = `${base}-orders`;
const dlqTopic = `${base}-orders.dlq`;
const group = `${base}-g`;

const kafka = new Kafka({ clientId: base, brokers, logLevel: logLevel.NOTHING });
const workDir = mkdtempSync(path.join(tmpdir(), 'es-prom-it-'));
let collector: Daemon | undefined;
let prometheus: Daemon | undefined;
let promUrl = '';
let producer: Producer | undefined;
let consumer: Consumer | undefined;
let producing: NodeJS.Timeout | undefined;
let tracing: NodeJS.Timeout | undefined;
let sagasSent = 0;
let consumed = 0;

interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}
interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}
interface Alert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

async function prom<T>(apiPath: string, params: Record<string, string | string[]> = {}): Promise<PromResponse<T>> {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
  const res = await fetch(`${promUrl}${apiPath}?${body.toString()}`, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as PromResponse<T>;
}

async function instant(expr: string): Promise<Sample[]> {
  const res = await prom<{ result: Sample[] }>('/api/v1/query', { query: expr });
  if (res.status !== 'success') throw new Error(`${expr}: ${res.error}`);
  return res.data.result;
}

async function groupAlerts(alertname: string): Promise<Alert[]> {
  const res = await prom<{ alerts: Alert[] }>('/api/v1/alerts');
  return res.data.alerts.filter((a) => a.labels.alertname === alertname && a.labels.group === group);
}

const lagAlerts = (): Promise<Alert[]> => groupAlerts('EventscopeConsumerLagHigh');

async function startConsumer(): Promise<Consumer> {
  const c = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  await c.run({
    autoCommitInterval: 500,
    eachMessage: async () => {
      consumed++;
      await Promise.resolve();
    },
  });
  return c;
}

function logTails(): string {
  return [collector, prometheus]
    .filter((d): d is Daemon => d !== undefined)
    .map((d) => `--- ${d.name} (${d.logFile})\n${tail(d.logFile, 30)}`)
    .join('\n');
}

/**
 * The test-only lag rule: EventscopeConsumerLagHigh as in prometheus/rules/kafka.yml, with
 * the threshold and for: window shortened and the test's group selected.
 */
function testLagRule(): string {
  const rules = parse(readFileSync(path.join(repoRoot, 'prometheus', 'rules', 'kafka.yml'), 'utf8')) as {
    groups: { rules: { alert?: string; expr: string; for?: string }[] }[];
  };
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'EventscopeConsumerLagHigh');
  if (!rule) throw new Error('EventscopeConsumerLagHigh is not in prometheus/rules/kafka.yml');
  const expr = rule.expr
    .replace('eventscope_consumergroup_lag_seconds)', `eventscope_consumergroup_lag_seconds{group="${group}"})`)
    .replace('> 300', '> 3');
  if (!expr.includes(group) || !expr.endsWith('> 3')) throw new Error(`unexpected lag rule: ${rule.expr}`);
  return stringify({ groups: [{ name: 'eventscope-test-lag', rules: [{ ...rule, expr, for: '5s' }] }] });
}

type Attr = { key: string; value: { stringValue: string } };
const attrs = (o: Record<string, string>): Attr[] =>
  Object.entries(o).map(([key, v]) => ({ key, value: { stringValue: v } }));
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/**
 * OTLP/JSON spans of one saga as the demo services emit them (docs/event-contract.md): an
 * `order.placed` and a terminal event, each published and processed; every 5th saga fails,
 * and its first event is processed twice (a duplicate).
 */
function sagaExport(i: number): unknown {
  const sagaTopic = `${base}-saga`;
  const svcGroup = `${base}-svc`;
  const correlation = `${base}-order-${i}`;
  const t0 = BigInt(Date.now()) * 1_000_000n;
  const ms = (n: number): string => String(t0 + BigInt(n) * 1_000_000n);
  const failed = i % 5 === 4;
  const events = [
    { id: `${correlation}-placed`, type: 'order.placed', at: 0 },
    { id: `${correlation}-end`, type: failed ? 'order.failed' : 'order.completed', at: 40 },
  ];
  const spans = events.flatMap((e, n) => {
    const common = {
      'messaging.system': 'kafka',
      'messaging.destination.name': sagaTopic,
      'messaging.destination.partition.id': '0',
      'messaging.kafka.offset': String(i * 2 + n),
      'messaging.message.id': e.id,
      'eventscope.event.type': e.type,
      'eventscope.correlation.id': correlation,
    };
    const traceId = hex(16);
    const sendId = hex(8);
    const deliveries = failed && n === 0 ? [5, 25] : [5];
    return [
      {
        traceId,
        spanId: sendId,
        name: `send ${sagaTopic}`,
        kind: 4,
        startTimeUnixNano: ms(e.at),
        endTimeUnixNano: ms(e.at + 2),
        attributes: attrs(common),
      },
      ...deliveries.map((d) => ({
        traceId,
        spanId: hex(8),
        parentSpanId: sendId,
        name: `process ${sagaTopic}`,
        kind: 5,
        startTimeUnixNano: ms(e.at + d),
        endTimeUnixNano: ms(e.at + d + 10),
        attributes: attrs({ ...common, 'messaging.consumer.group.name': svcGroup, 'eventscope.outcome': 'processed' }),
      })),
    ];
  });
  return {
    resourceSpans: [
      {
        resource: { attributes: attrs({ 'service.name': `${base}-svc` }) },
        scopeSpans: [{ scope: { name: 'eventscope-test' }, spans }],
      },
    ],
  };
}

beforeAll(async () => {
  const binary = await findTool(PROMETHEUS);
  if (!binary) throw new Error('prometheus is not installed (npm run stack -- setup installs the Debian package)');

  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 2 },
      { topic: dlqTopic, numPartitions: 1 },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();

  producer = kafka.producer();
  await producer.connect();
  // Steady traffic: 20 records a second; a few dead-lettered records.
  let n = 0;
  producing = setInterval(() => {
    void producer
      ?.send({
        topic,
        messages: [
          { key: `k${n % 7}`, value: `v${n}` },
          { key: `k${(n + 3) % 7}`, value: `w${n}` },
        ],
      })
      .catch(() => undefined);
    n++;
  }, 100);
  await producer.send({
    topic: dlqTopic,
    messages: [1, 2, 3].map((i) => ({
      key: `k${i}`,
      value: `bad${i}`,
      headers: { 'dlq-original-topic': topic, 'dlq-consumer-group': group, 'dlq-error-class': 'TestError' },
    })),
  });
  consumer = await startConsumer();

  const collectorPort = await freePort();
  const collectorEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_NO_WARNINGS: '1',
    KAFKA_BROKERS: brokers.join(','),
    EVENTSCOPE_HOST: '127.0.0.1',
    EVENTSCOPE_PORT: String(collectorPort),
    EVENTSCOPE_OTLP_PORT: '0',
    EVENTSCOPE_DATA_DIR: path.join(workDir, 'collector'),
    EVENTSCOPE_POLL_INTERVAL_MS: '1000',
    EVENTSCOPE_STATUS_WINDOW: '3',
    EVENTSCOPE_GROUPS_INCLUDE: `${base}-*`,
    EVENTSCOPE_DLQ_PATTERN: `${base}-*.dlq`,
    EVENTSCOPE_LOG_LEVEL: 'warn',
  };
  collector = startDaemon('collector', process.execPath, [path.join(repoRoot, 'collector', 'src', 'server.ts')], {
    logFile: path.join(workDir, 'collector.log'),
    pidFile: path.join(workDir, 'collector.pid'),
    cwd: repoRoot,
    env: collectorEnv,
  });
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  await waitFor(
    'collector /healthz',
    async () => ((await fetch(`${collectorUrl}/healthz`).catch(() => undefined))?.ok ? true : undefined),
    { timeoutMs: 60_000, abort: () => collector?.exitStatus() && `${collector.exitStatus()}\n${logTails()}` },
  );

  // Span traffic: one saga a second.
  tracing = setInterval(() => {
    const i = sagasSent++;
    void fetch(`${collectorUrl}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(sagaExport(i)),
    }).catch(() => undefined);
  }, 1_000);

  // Prometheus: the repository's rules, the test-only lag rule, 1 s scrape and evaluation.
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  mkdirSync(path.join(workDir, 'prom'), { recursive: true });
  writeFileSync(path.join(workDir, 'prom', 'test-lag.yml'), testLagRule());
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    rule_files: [path.join(repoRoot, 'prometheus', 'rules', '*.yml'), path.join(workDir, 'prom', 'test-lag.yml')],
    scrape_configs: [
      {
        job_name: 'eventscope-collector',
        static_configs: [{ targets: [`127.0.0.1:${collectorPort}`] }],
      },
    ],
  };
  writeFileSync(path.join(workDir, 'prom', 'prometheus.yml'), stringify(config));
  prometheus = startDaemon(
    'prometheus',
    binary,
    [
      `--config.file=${path.join(workDir, 'prom', 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(workDir, 'prom', 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--web.enable-lifecycle',
    ],
    { logFile: path.join(workDir, 'prometheus.log'), pidFile: path.join(workDir, 'prometheus.pid'), cwd: workDir },
  );
  await waitFor(
    'prometheus /-/ready',
    async () => ((await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
    { timeoutMs: 60_000, abort: () => prometheus?.exitStatus() && `${prometheus.exitStatus()}\n${logTails()}` },
  );
}, 180_000);

afterAll(async () => {
  clearInterval(producing);
  clearInterval(tracing);
  await consumer?.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await prometheus?.stop(10_000);
  await collector?.stop(20_000);
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic, dlqTopic] }).catch(() => undefined);
  await admin.disconnect();
  rmSync(workDir, { recursive: true, force: true });
}, 120_000);

describe('Prometheus scraping a running collector', () => {
  it('scrapes the collector, loads every rule group, and sees the consumer group caught up', async () => {
    let last = '';
    await waitFor(
      'up == 1 and the group caught up in Prometheus',
      async () => {
        const up = await instant('up{job="eventscope-collector"}');
        const lag = await instant(`eventscope_consumergroup_lag_seconds{group="${group}",topic="${topic}"}`);
        last = `up=${up[0]?.value?.[1]}, lag_seconds=${lag[0]?.value?.[1]}, consumed=${consumed}`;
        return up[0]?.value?.[1] === '1' && Number(lag[0]?.value?.[1] ?? NaN) < 3 ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message} (last: ${last})\n${logTails()}`);
    });
    expect(consumed).toBeGreaterThan(0);

    const rules = await prom<{
      groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
    }>('/api/v1/rules');
    const names = rules.data.groups.map((g) => g.name);
    for (const g of [
      'eventscope-consumergroups',
      'eventscope-dlq',
      'eventscope-collector',
      'eventscope-saga-latency-slo',
      'eventscope-sagas',
      'eventscope-audit',
      'eventscope-test-lag',
    ]) {
      expect(names).toContain(g);
    }
    // After a few evaluations, no rule reports an error.
    await new Promise((r) => setTimeout(r, 3_000));
    const again = await prom<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>(
      '/api/v1/rules',
    );
    const unhealthy = again.data.groups.flatMap((g) => g.rules).filter((r) => r.health === 'err');
    expect(unhealthy).toEqual([]);
  }, 120_000);

  it('a stopped group makes the lag alert go pending, then firing; consuming again resolves it', async () => {
    expect(await lagAlerts()).toEqual([]);
    await consumer?.disconnect();
    consumer = undefined;

    const seen: string[] = [];
    const stoppedAt = Date.now();
    await waitFor(
      'EventscopeConsumerLagHigh firing',
      async () => {
        const alerts = await lagAlerts();
        for (const a of alerts) if (seen.at(-1) !== a.state) seen.push(a.state);
        return alerts.some((a) => a.state === 'firing') ? true : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}; states seen: ${seen.join(' -> ')}\n${logTails()}`);
    });
    expect(seen).toEqual(['pending', 'firing']);
    // A 3 s threshold and for: 5s: not firing earlier than about 8 s after the stop (less the
    // age the record at the committed offset already had, under the 0.5 s commit interval).
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(7_000);
    const [firing] = await lagAlerts();
    expect(firing?.labels).toMatchObject({ group, topic, severity: 'warning' });
    // The real EventscopeConsumerGroupStopped (unchanged, for: 5m) went pending meanwhile: the
    // collector's status turned STOP (no member, lag, offsets not moving).
    const stopped = await instant(
      `max_over_time(ALERTS{alertname="EventscopeConsumerGroupStopped",group="${group}",alertstate="pending"}[2m])`,
    );
    expect(stopped.map((x) => x.value?.[1])).toEqual(['1']);

    consumer = await startConsumer();
    await waitFor(
      'EventscopeConsumerLagHigh and EventscopeConsumerGroupStopped resolved',
      async () =>
        (await lagAlerts()).length === 0 && (await groupAlerts('EventscopeConsumerGroupStopped')).length === 0
          ? true
          : undefined,
      {
        timeoutMs: 90_000,
        intervalMs: 500,
      },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${logTails()}`);
    });
    const lag = await instant(`eventscope_consumergroup_lag_seconds{group="${group}",topic="${topic}"}`);
    expect(Number(lag[0]?.value?.[1])).toBeLessThanOrEqual(3);
  }, 200_000);

  it('sees the sagas, hops and duplicates the collector assembled from the spans', async () => {
    let last = '';
    await waitFor(
      'saga metrics in Prometheus',
      async () => {
        const ended = await instant('sum by (outcome) (eventscope_saga_outcomes_total{saga_type="order"})');
        const dups = await instant(`eventscope_duplicates_total{group="${base}-svc"}`);
        const hops = await instant(`eventscope_hop_processing_seconds_count{group="${base}-svc"}`);
        const byOutcome: Record<string, number> = Object.fromEntries(
          ended.map((x) => [x.metric.outcome ?? '', Number(x.value?.[1])]),
        );
        last = `${JSON.stringify(byOutcome)} duplicates=${dups[0]?.value?.[1]} hops=${hops[0]?.value?.[1]} sent=${sagasSent}`;
        return (byOutcome.completed ?? 0) >= 4 && (byOutcome.failed ?? 0) >= 1 && Number(dups[0]?.value?.[1]) >= 1
          ? true
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    ).catch((err: unknown) => {
      throw new Error(`${(err as Error).message} (last: ${last})\n${logTails()}`);
    });
    // 40 ms from first publish to the terminal event processed: all within the SLO's 2.5 s.
    const fast = await instant(
      'sum(eventscope_saga_end_to_end_seconds_bucket{saga_type="order",le="2.5"}) / sum(eventscope_saga_end_to_end_seconds_count{saga_type="order"})',
    );
    expect(Number(fast[0]?.value?.[1])).toBe(1);
  }, 90_000);

  describe('every Grafana dashboard query runs against Prometheus', () => {
    const dir = path.join(repoRoot, 'grafana', 'dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    // Panels that must return data under the test's traffic: a watched group, topic and DLQ,
    // and a saga a second (one in five failed, with a duplicate). Stuck sagas, unaccounted
    // records, time to catch up, the DLQ mark and per-partition series have no data here;
    // their queries only have to run.
    const CORE: Record<string, string[]> = {
      'eventscope-overview': [
        'Collector up',
        'Kafka poll',
        'Groups monitored',
        'Groups not OK',
        'Worst lag',
        'Firing alerts',
        'Lag by group (seconds)',
        'Lag by group (messages)',
        'Group status',
        'Produced records per second by topic',
        'Dead-lettered records per second',
        'Sagas ended per second by outcome',
        'Saga end-to-end latency p99',
        'Spans received per second',
        'Kafka poll duration',
        'Kafka poll errors',
        'Store and intake queue',
      ],
      'eventscope-consumer-groups': [
        'Worst status',
        'Lag (seconds)',
        'Lag (messages)',
        'Members',
        'Rebalances',
        'Groups and topics',
        'Lag in seconds',
        'Lag in messages',
        'Consumed vs produced per second',
        'Status',
        'Members',
      ],
      'eventscope-dlqs': ['Records in DLQs', 'Added in range', 'Growth now', 'DLQ topics', 'Depth', 'Added per second'],
      'eventscope-sagas': [
        'Slow sagas (1h)',
        'Burn rate (1h)',
        'Sagas ended (range)',
        'Failed (15m)',
        'End-to-end latency',
        'Slow-saga ratio per window',
        'Sagas per second by outcome',
        'Queue time',
        'Processing time',
        'Duplicates',
        'Spans',
      ],
    };

    interface Panel {
      title: string;
      type: string;
      targets?: { expr: string; instant?: boolean; refId: string }[];
      panels?: Panel[];
    }
    interface Dashboard {
      uid: string;
      panels: Panel[];
      templating: { list: { name: string; type: string; definition?: string }[] };
    }

    /** What Grafana substitutes before sending a query; "All" of a variable is `.*`. */
    function interpolate(expr: string): string {
      return expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__interval', '15s')
        .replaceAll('$__range', '10m')
        .replace(/\$\{?[a-z_]+\}?/g, '.*');
    }

    it.each(files)(
      '%s',
      async (file) => {
        const d = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Dashboard;
        const panels = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
        const core = CORE[d.uid];
        expect(core, `core panels listed for ${d.uid}`).toBeDefined();
        const end = Math.floor(Date.now() / 1000);
        const empty: string[] = [];
        for (const panel of panels) {
          let rows = 0;
          for (const t of panel.targets ?? []) {
            const query = interpolate(t.expr);
            const res = t.instant
              ? await prom<{ result: Sample[] }>('/api/v1/query', { query })
              : await prom<{ result: Sample[] }>('/api/v1/query_range', {
                  query,
                  start: String(end - 600),
                  end: String(end),
                  step: '5',
                });
            expect(res.status, `${d.uid} / ${panel.title} / ${t.refId}: ${query}: ${res.error ?? ''}`).toBe('success');
            rows += res.data.result.length;
          }
          if (rows === 0) empty.push(panel.title);
        }
        for (const title of core ?? [])
          expect(empty, `${d.uid}: core panel "${title}" returned no data`).not.toContain(title);

        // Variables: label_values(<selector>, <label>) as Grafana runs it (the labels API).
        for (const v of d.templating.list.filter((x) => x.type === 'query')) {
          const m = /^label_values\((.*),\s*(\w+)\)$/.exec(v.definition ?? '');
          expect(m, `${v.name}: ${v.definition}`).not.toBeNull();
          const res = await prom<string[]>(`/api/v1/label/${m?.[2]}/values`, { 'match[]': interpolate(m?.[1] ?? '') });
          expect(res.status, `${d.uid} variable ${v.name}`).toBe('success');
          if (v.name === 'group' && d.uid === 'eventscope-consumer-groups') expect(res.data).toContain(group);
          if (v.name === 'dlq') expect(res.data).toContain(dlqTopic);
          if (v.name === 'saga_type') expect(res.data).toContain('order');
          if (v.name === 'job') expect(res.data).toContain('eventscope-collector');
        }
      },
      120_000,
    );
  });
});
