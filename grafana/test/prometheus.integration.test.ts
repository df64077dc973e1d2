/**
 * The alerts and dashboards under real demo traffic: a real Prometheus (the Debian package)
 * scrapes a real collector (`node collector/src/server.ts`, as a daemon) that watches the demo
 * services (`startDemo`, with their spans exported to that collector) on the real broker.
 *  - the repository's rules load and evaluate without error;
 *  - stopping the notification service (its consumer group stops) makes the lag alert go
 *    pending, then firing, in Prometheus's /api/v1/alerts, and reach a real Alertmanager
 *    (Debian's, with prometheus/alertmanager.yml) routed to its receiver; starting the
 *    service again resolves it;
 *  - every query of every Grafana dashboard (grafana/dashboards/*.json) runs against the
 *    Prometheus API without error, and the core panels return data.
 *
 * It lives in the grafana workspace, not in devstack, because it needs the demo services,
 * and @eventscope/demo-services itself depends on @eventscope/devstack.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALERTMANAGER,
  findTool,
  freePort,
  PROMETHEUS,
  repoRoot,
  startDaemon,
  tail,
  waitFor,
} from '@eventscope/devstack';
import type { Daemon } from '@eventscope/devstack';
import {
  CONSUMER_SERVICES,
  deletePrefixed,
  naming,
  type RunningDemo,
  startIsolatedDemo,
} from '@eventscope/demo-services';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the tests through npm test (or vitest with its global setup)`);
  return value;
}

const brokers = requireEnv('KAFKA_BROKERS');
const registryUrl = requireEnv('SCHEMA_REGISTRY_URL');
const prefix = `es-prom-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;
const names = naming(prefix);
/** The group the test stops and starts again: the notification service's. */
const group = names.group('notification');
const topic = names.topic('notification.send');
/** Where the demo's poison records end up. */
const dlqTopic = names.dlq('inventory');

/**
 * The real EventscopeConsumerLagHigh fires after lag over the collector's budget held for 5m:
 * more than a test can wait. The collector runs with a 5 s budget
 * (EVENTSCOPE_LAG_BUDGET_SECONDS), and the test adds a copy of the rule (same expression,
 * labels and annotations) with for: 10s, on the stopped group only. Every other rule is loaded
 * unchanged.
 */
const TEST_LAG_THRESHOLD_S = 5;
const TEST_LAG_FOR_S = 10;

const workDir = mkdtempSync(path.join(tmpdir(), 'es-prom-it-'));
const demoLines: string[] = [];
let collector: Daemon | undefined;
let prometheus: Daemon | undefined;
let alertmanager: Daemon | undefined;
let amUrl = '';
let demo: RunningDemo | undefined;
let promUrl = '';

interface PromResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}
interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
}
interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
}
interface RuleGroup {
  name: string;
  rules: { name: string; health: 'ok' | 'err' | 'unknown'; lastError?: string }[];
}

async function prom<T>(apiPath: string, params: Record<string, string> = {}): Promise<PromResponse<T>> {
  const res = await fetch(`${promUrl}${apiPath}?${new URLSearchParams(params).toString()}`, {
    signal: AbortSignal.timeout(10_000),
  });
  return (await res.json()) as PromResponse<T>;
}

async function instant(expr: string): Promise<Sample[]> {
  const res = await prom<{ result: Sample[] }>('/api/v1/query', { query: expr });
  if (res.status !== 'success') throw new Error(`${expr}: ${res.error}`);
  return res.data.result;
}

const num = async (expr: string): Promise<number> => Number((await instant(expr))[0]?.value?.[1] ?? NaN);

async function groupAlerts(alertname: string): Promise<Alert[]> {
  const res = await prom<{ alerts: Alert[] }>('/api/v1/alerts');
  return res.data.alerts.filter((a) => a.labels.alertname === alertname && a.labels.group === group);
}
/**
 * The test copy's alerts only: with the collector's 5 s budget the real rule (for: 5m) goes
 * pending for the same group at the same time, under the same alert name.
 */
const TEST_COPY_LABEL = { eventscope_test: 'lag-rule-copy' };
const lagAlerts = async (): Promise<Alert[]> =>
  (await groupAlerts('EventscopeConsumerLagHigh')).filter(
    (a) => a.labels.eventscope_test === TEST_COPY_LABEL.eventscope_test,
  );
const notification = (): NonNullable<RunningDemo['services'][number]> => {
  const svc = demo?.services.find((s) => s.name === 'notification');
  if (!svc) throw new Error('the demo has no notification service');
  return svc;
};

function logTails(): string {
  const daemons = [collector, prometheus, alertmanager]
    .filter((d): d is Daemon => d !== undefined)
    .map((d) => `--- ${d.name} (${d.logFile})\n${tail(d.logFile, 30)}`);
  return [...daemons, `--- demo services\n${demoLines.slice(-30).join('\n')}`].join('\n');
}

/** Rethrows a wait's error with `what()` (the last state seen) and the services' log tails. */
const withLogs =
  (what: () => string = () => '') =>
  (err: unknown): never => {
    const detail = what();
    throw new Error(`${(err as Error).message}${detail ? ` (${detail})` : ''}\n${logTails()}`);
  };

/** The test-only copy of EventscopeConsumerLagHigh (see TEST_LAG_THRESHOLD_S). */
function testLagRule(): string {
  const rules = parse(readFileSync(path.join(repoRoot, 'prometheus', 'rules', 'kafka.yml'), 'utf8')) as {
    groups: { rules: { alert?: string; expr: string; for?: string; labels?: Record<string, string> }[] }[];
  };
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === 'EventscopeConsumerLagHigh');
  if (!rule) throw new Error('EventscopeConsumerLagHigh is not in prometheus/rules/kafka.yml');
  const expr = rule.expr.replace(
    'eventscope_consumergroup_lag_seconds)',
    `eventscope_consumergroup_lag_seconds{group="${group}"})`,
  );
  if (!expr.includes(group) || !expr.includes('eventscope_consumergroup_lag_budget_seconds'))
    throw new Error(`unexpected lag rule: ${rule.expr}`);
  return stringify({
    groups: [
      {
        name: 'eventscope-test-lag',
        rules: [{ ...rule, expr, for: `${TEST_LAG_FOR_S}s`, labels: { ...rule.labels, ...TEST_COPY_LABEL } }],
      },
    ],
  });
}

beforeAll(async () => {
  const binary = await findTool(PROMETHEUS);
  if (!binary) throw new Error('prometheus is not installed (npm run stack -- setup installs the Debian package)');

  // The collector: watches only this test's groups and DLQs, polls every second.
  const collectorPort = await freePort();
  const otlpPort = await freePort();
  collector = startDaemon('collector', process.execPath, [path.join(repoRoot, 'collector', 'src', 'server.ts')], {
    logFile: path.join(workDir, 'collector.log'),
    pidFile: path.join(workDir, 'collector.pid'),
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_NO_WARNINGS: '1',
      KAFKA_BROKERS: brokers,
      EVENTSCOPE_HOST: '127.0.0.1',
      EVENTSCOPE_PORT: String(collectorPort),
      EVENTSCOPE_OTLP_PORT: String(otlpPort),
      // OTLP/gRPC off: its default 4317 may be taken by a running `npm start` or another test.
      EVENTSCOPE_OTLP_GRPC_PORT: '0',
      EVENTSCOPE_DATA_DIR: path.join(workDir, 'collector'),
      EVENTSCOPE_POLL_INTERVAL_MS: '1000',
      EVENTSCOPE_STATUS_WINDOW: '3',
      EVENTSCOPE_LAG_BUDGET_SECONDS: String(TEST_LAG_THRESHOLD_S),
      EVENTSCOPE_GROUPS_INCLUDE: `${prefix}*`,
      EVENTSCOPE_DLQ_PATTERN: `${prefix}*.dlq`,
      EVENTSCOPE_LOG_LEVEL: 'warn',
    },
  });
  const collectorUrl = `http://127.0.0.1:${collectorPort}`;
  await waitFor(
    'collector /healthz',
    async () => ((await fetch(`${collectorUrl}/healthz`).catch(() => undefined))?.ok ? true : undefined),
    { timeoutMs: 60_000, abort: () => collector?.exitStatus() && `${collector.exitStatus()}\n${logTails()}` },
  );

  // Alertmanager with the repository's example config (clustering off: its default port, 9094,
  // is the KRaft controller's).
  const amBinary = await findTool(ALERTMANAGER);
  if (!amBinary)
    throw new Error('Alertmanager is not installed (npm run stack -- setup installs prometheus-alertmanager)');
  const amPort = await freePort();
  amUrl = `http://127.0.0.1:${amPort}`;
  alertmanager = startDaemon(
    'alertmanager',
    amBinary,
    [
      `--config.file=${path.join(repoRoot, 'prometheus', 'alertmanager.yml')}`,
      `--storage.path=${path.join(workDir, 'alertmanager')}`,
      `--web.listen-address=127.0.0.1:${amPort}`,
      '--cluster.listen-address=',
    ],
    { logFile: path.join(workDir, 'alertmanager.log'), pidFile: path.join(workDir, 'alertmanager.pid'), cwd: workDir },
  );
  await waitFor(
    'alertmanager /-/ready',
    async () => ((await fetch(`${amUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
    { timeoutMs: 60_000, abort: () => alertmanager?.exitStatus() && `${alertmanager.exitStatus()}\n${logTails()}` },
  );

  // Prometheus: the repository's rules, the test-only lag rule, 1 s scrape and evaluation,
  // alerts to that Alertmanager.
  const promPort = await freePort();
  promUrl = `http://127.0.0.1:${promPort}`;
  mkdirSync(path.join(workDir, 'prom'), { recursive: true });
  writeFileSync(path.join(workDir, 'prom', 'test-lag.yml'), testLagRule());
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
    rule_files: [path.join(repoRoot, 'prometheus', 'rules', '*.yml'), path.join(workDir, 'prom', 'test-lag.yml')],
    scrape_configs: [
      { job_name: 'eventscope-collector', static_configs: [{ targets: [`127.0.0.1:${collectorPort}`] }] },
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
    ],
    { logFile: path.join(workDir, 'prometheus.log'), pidFile: path.join(workDir, 'prometheus.pid'), cwd: workDir },
  );
  await waitFor(
    'prometheus /-/ready',
    async () => ((await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
    { timeoutMs: 60_000, abort: () => prometheus?.exitStatus() && `${prometheus.exitStatus()}\n${logTails()}` },
  );

  // The demo: every service, spans to the collector, and steady load for the whole test (the
  // stopped group must keep falling behind, so a bounded --count run would not do).
  demo = await startIsolatedDemo({
    prefix,
    dataDir: path.join(workDir, 'demo'),
    brokers,
    registryUrl,
    otlpEndpoint: `http://127.0.0.1:${otlpPort}`,
    loadgenArgs: [
      '--rate',
      '4',
      '--forever',
      '--decline-rate',
      '0.2',
      '--reject-rate',
      '0.1',
      '--poison-rate',
      '0.1',
      '--duplicate-rate',
      '0.2',
      '--quiet',
    ],
    output: (line) => demoLines.push(line),
  });
}, 240_000);

afterAll(async () => {
  await demo?.stop();
  await prometheus?.stop(10_000);
  await alertmanager?.stop(10_000);
  await collector?.stop(20_000);
  await deletePrefixed({ prefix, brokers, registryUrl });
  rmSync(workDir, { recursive: true, force: true });
}, 120_000);

describe('Prometheus scraping a collector under demo traffic', () => {
  it('scrapes the collector, evaluates every rule group without error, and sees the demo groups caught up', async () => {
    let last = '';
    await waitFor(
      "up == 1 and every demo group's lag in Prometheus, the notification group caught up",
      async () => {
        const up = await num('up{job="eventscope-collector"}');
        const groups = await instant(
          `eventscope:consumergroup_lag_seconds:max{group=~"${prefix.replaceAll('.', '\\\\.')}.*"}`,
        );
        const lag = await num(`eventscope_consumergroup_lag_seconds{group="${group}",topic="${topic}"}`);
        const members = await num(`eventscope_consumergroup_members{group="${group}"}`);
        last = `up=${up}, groups with lag series=${groups.length}, notification lag_seconds=${lag}, members=${members}`;
        return up === 1 && groups.length >= CONSUMER_SERVICES.length && lag < TEST_LAG_THRESHOLD_S && members >= 1
          ? true
          : undefined;
      },
      { timeoutMs: 150_000, intervalMs: 1_000 },
    ).catch(withLogs(() => last));

    const expected = [
      'eventscope-consumergroups',
      'eventscope-dlq',
      'eventscope-collector',
      'eventscope-saga-latency-slo',
      'eventscope-sagas',
      'eventscope-audit',
      'eventscope-test-lag',
    ];
    // Every rule evaluated at least once (health leaves "unknown") and none failed.
    const rules = await waitFor(
      'every rule evaluated',
      async () => {
        const res = await prom<{ groups: RuleGroup[] }>('/api/v1/rules');
        const all = res.data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health !== 'unknown') ? res.data.groups : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(rules.map((g) => g.name).sort()).toEqual([...expected].sort());
    expect(rules.flatMap((g) => g.rules).filter((r) => r.health !== 'ok')).toEqual([]);
  }, 180_000);

  it('stopping the notification service makes the lag alert go pending, then firing; starting it resolves it', async () => {
    // Quiet before the stop (a slow machine may have let the group fall behind for a moment).
    await waitFor(
      'no lag alert for the running group',
      async () => ((await lagAlerts()).length === 0 ? true : undefined),
      {
        timeoutMs: 60_000,
        intervalMs: 500,
      },
    ).catch(withLogs());
    await notification().stop();
    const stoppedAt = Date.now();

    const seen: string[] = [];
    await waitFor(
      'EventscopeConsumerLagHigh firing',
      async () => {
        const alerts = await lagAlerts();
        for (const a of alerts) if (seen.at(-1) !== a.state) seen.push(a.state);
        return alerts.some((a) => a.state === 'firing') ? true : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    ).catch(withLogs(() => `states seen: ${seen.join(' -> ')}`));
    expect(seen).toEqual(['pending', 'firing']);
    // Not firing before the for: window has passed (the lag itself needs time to pass the
    // threshold too, less the age the oldest unconsumed record already had at the stop).
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(TEST_LAG_FOR_S * 1000);
    const [firing] = await lagAlerts();
    expect(firing?.labels).toMatchObject({ group, topic, severity: 'warning' });
    expect(firing?.annotations.summary).toContain(group);
    expect(firing?.annotations.summary).toContain(topic);
    expect(firing?.annotations.runbook_url).toBe('docs/runbooks/EventscopeConsumerLagHigh.md');
    // Prometheus sent it to Alertmanager, whose example routing gives a warning to `default`.
    const received = await waitFor(
      'the firing lag alert in Alertmanager',
      async () => {
        const res = await fetch(
          `${amUrl}/api/v2/alerts?${new URLSearchParams([
            ['filter', 'alertname="EventscopeConsumerLagHigh"'],
            ['filter', `group="${group}"`],
          ]).toString()}`,
        );
        const alerts = (await res.json()) as { receivers: { name: string }[]; status: { state: string } }[];
        return alerts.length > 0 ? alerts : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch(withLogs());
    expect(received.map((a) => [a.status.state, a.receivers.map((r) => r.name)])).toEqual([['active', ['default']]]);
    // The real EventscopeConsumerGroupStopped (unchanged, for: 5m) went pending meanwhile: the
    // collector's status for the group turned STOP (no member, lag, offsets not moving).
    const stopped = await instant(
      `max_over_time(ALERTS{alertname="EventscopeConsumerGroupStopped",group="${group}",alertstate="pending"}[3m])`,
    );
    expect(stopped.map((x) => x.value?.[1])).toEqual(['1']);

    notification().start();
    await waitFor(
      'EventscopeConsumerLagHigh and EventscopeConsumerGroupStopped resolved',
      async () =>
        (await lagAlerts()).length === 0 && (await groupAlerts('EventscopeConsumerGroupStopped')).length === 0
          ? true
          : undefined,
      { timeoutMs: 120_000, intervalMs: 500 },
    ).catch(withLogs());
    expect(await num(`eventscope_consumergroup_lag_seconds{group="${group}",topic="${topic}"}`)).toBeLessThanOrEqual(
      TEST_LAG_THRESHOLD_S,
    );
    expect(await num(`eventscope_consumergroup_members{group="${group}"}`)).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it("sees the demo's sagas, DLQ records and duplicates that the collector assembled", async () => {
    let last = '';
    await waitFor(
      'saga, DLQ and duplicate metrics in Prometheus',
      async () => {
        const ended = await instant('sum by (outcome) (eventscope_saga_outcomes_total{saga_type="order"})');
        const byOutcome = Object.fromEntries(ended.map((x) => [x.metric.outcome ?? '', Number(x.value?.[1])]));
        const dlq = await num(`eventscope_dlq_depth_records{topic="${dlqTopic}"}`);
        const dupSeries = await instant('sum by (group) (eventscope_duplicates_total)');
        // The collector's OTLP port is this test's own: every span, so every series, is from this demo.
        // (The demo's load generator re-consumes the re-published order.placed, and reports its
        // group as `loadgen`.)
        const dups = dupSeries.reduce((n, x) => n + Number(x.value?.[1] ?? 0), 0);
        const latency = await num('sum(eventscope_saga_end_to_end_seconds_count{saga_type="order"})');
        last = `${JSON.stringify(byOutcome)} dlq=${dlq} duplicates=${JSON.stringify(dupSeries.map((x) => [x.metric.group, x.value?.[1]]))} latency count=${latency}`;
        return (byOutcome.completed ?? 0) >= 5 &&
          (byOutcome.compensated ?? 0) + (byOutcome.failed ?? 0) >= 1 &&
          dlq >= 1 &&
          dups >= 1 &&
          latency >= 5
          ? true
          : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1_000 },
    ).catch(withLogs(() => last));
  }, 120_000);

  describe('every Grafana dashboard query runs against Prometheus', () => {
    const dir = path.join(repoRoot, 'grafana', 'dashboards');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    // Panels that must return data under demo traffic (with a stopped and restarted group, poison
    // records, declined and rejected orders, duplicates). Stuck sagas, unaccounted records, time
    // to catch up, the DLQ mark and per-partition series may have no data here; their queries
    // only have to run.
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
          const res = await prom<string[]>(`/api/v1/label/${m?.[2]}/values`, {
            'match[]': interpolate(m?.[1] ?? ''),
          });
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
