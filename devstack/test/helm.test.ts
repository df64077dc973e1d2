/**
 * The Helm chart deploy/helm/eventscope: lint-like checks of the chart, the manifests it renders
 * (devstack/src/helm.ts: Go text/template + sprig, as `helm template` does; no helm binary is to be
 * had here) validated against the Kubernetes JSON schemas that kubernetes-models ships, and the
 * settings they give the collector checked against its configuration reference.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments, parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { PORTS, repoRoot } from '../src/index.ts';
import { ensureHelmRender, renderChart } from '../src/helm.ts';
import { collectorSettings } from './collector-config.ts';

const CHART = path.join(repoRoot, 'deploy', 'helm', 'eventscope');

/** Kinds the chart may render, each with the model whose validate() applies the Kubernetes schema. */
const MODELS = new Map<string, (data: Manifest) => { validate(): void }>([
  ['v1/ConfigMap', (d) => new ConfigMap(d as never)],
  ['v1/Secret', (d) => new Secret(d as never)],
  ['v1/Service', (d) => new Service(d)],
  ['apps/v1/Deployment', (d) => new Deployment(d as never)],
  ['policy/v1/PodDisruptionBudget', (d) => new PodDisruptionBudget(d)],
]);

interface Container {
  name: string;
  ports: { name: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}
interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, unknown>;
  stringData?: Record<string, unknown>;
  spec?: {
    replicas?: number;
    selector?: Record<string, string> & { matchLabels?: Record<string, string> };
    ports?: { name: string; port: number; targetPort: string }[];
    template?: { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } };
  };
}

let dir: string;
const BROKERS = { kafka: { brokers: 'kafka-0.kafka:9092,kafka-1.kafka:9092' } };
const PG_URL = 'postgres://eventscope:s3cr%40t@pg.db.svc:5432/eventscope';

function valuesFile(values: unknown): string {
  const file = path.join(dir, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

async function render(...values: unknown[]): Promise<Manifest[]> {
  const res = await renderChart(CHART, { valueFiles: values.map(valuesFile), release: 'obs', namespace: 'tracing' });
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return parseAllDocuments(res.stdout)
    .map((d) => d.toJS() as Manifest | null)
    .filter((d): d is Manifest => d !== null);
}

async function refusal(...values: unknown[]): Promise<string> {
  const res = await renderChart(CHART, { valueFiles: values.map(valuesFile) });
  expect(res.code).not.toBe(0);
  return res.stderr;
}

function validateAll(manifests: Manifest[]): void {
  for (const m of manifests) {
    const model = MODELS.get(`${m.apiVersion}/${m.kind}`);
    expect(model, `${m.apiVersion} ${m.kind} is a kind the chart is meant to render`).toBeDefined();
    model?.(m).validate();
  }
}

function one(manifests: Manifest[], kind: string): Manifest {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Manifest;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'es-helm-'));
  await ensureHelmRender(); // first run builds it (about 20 s), later runs find it cached
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Helm chart deploy/helm/eventscope (lint)', () => {
  it('has a Chart.yaml helm accepts and the collector version as appVersion', () => {
    const chart = parse(readFileSync(path.join(CHART, 'Chart.yaml'), 'utf8')) as Record<string, string>;
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe(path.basename(CHART));
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    expect(chart.type).toBe('application');
    const collector = JSON.parse(readFileSync(path.join(repoRoot, 'collector', 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(chart.appVersion).toBe(collector.version);
  });

  it('defaults to the ports of the local stack and documents every top-level value', () => {
    const text = readFileSync(path.join(CHART, 'values.yaml'), 'utf8');
    const values = parse(text) as { service: { port: number; otlpHttpPort: number; otlpGrpcPort: number } };
    expect(values.service).toMatchObject({
      port: PORTS.collector,
      otlpHttpPort: PORTS.otlp,
      otlpGrpcPort: PORTS.otlpGrpc,
    });
    const lines = text.split('\n');
    const undocumented = lines
      .map((line, i) => ({ line, before: lines.slice(Math.max(0, i - 3), i).join('\n') }))
      .filter(({ line }) => /^[a-zA-Z]\w*:/.test(line))
      .filter(({ before }) => !before.includes('#'))
      .map(({ line }) => line.split(':')[0]);
    // Self-explanatory Kubernetes pass-throughs may go without a comment.
    const passThrough = ['image', 'imagePullSecrets', 'service', 'resources', 'podSecurityContext', 'securityContext'];
    expect(undocumented.filter((k) => !passThrough.includes(k ?? ''))).toEqual([]);
  });
});

describe('Helm chart deploy/helm/eventscope (values.schema.json, which helm applies to the values)', () => {
  const validate = new Ajv({ allErrors: true }).compile(
    JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8')) as object,
  );
  const defaults = parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const check = (overrides: Record<string, unknown>): string =>
    validate({ ...defaults, ...overrides }) ? 'valid' : JSON.stringify(validate.errors);

  it('accepts values.yaml and the documented shapes', () => {
    expect(check({})).toBe('valid');
    expect(check({ ...BROKERS, postgres: { url: PG_URL }, env: { EVENTSCOPE_RETENTION_HOURS: 72 } })).toBe('valid');
  });

  it('refuses typos and wrong types', () => {
    expect(check({ replicas: 3 })).toMatch(/additionalProperties/);
    expect(check({ replicaCount: 'two' })).toMatch(/must be integer/);
    expect(check({ postgres: { url: 'mysql://x' } })).toMatch(/pattern/);
    expect(check({ monitorElection: 'raft' })).toMatch(/allowed values/);
    expect(check({ env: { 'bad name': 'x' } })).toMatch(/property name/);
    expect(check({ service: { ...(defaults.service as object), port: 70000 } })).toMatch(/must be <= 65535/);
  });
});

describe('Helm chart deploy/helm/eventscope (template and schema check)', () => {
  it('renders schema-valid manifests for several collectors on a PostgreSQL store', async () => {
    const manifests = await render(BROKERS, { postgres: { url: PG_URL }, env: { EVENTSCOPE_RETENTION_HOURS: 72 } });
    validateAll(manifests);
    expect(manifests.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
    const deployment = one(manifests, 'Deployment');
    expect(deployment.spec?.replicas).toBe(2);
    const pod = deployment.spec?.template;
    const container = pod?.spec.containers[0] as Container;
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    const portNames = container.ports.map((p) => p.name);
    expect(portNames).toContain(container.readinessProbe.httpGet.port);
    // The Service selects the pods and targets ports they declare.
    const service = one(manifests, 'Service');
    expect(pod?.metadata.labels).toMatchObject(service.spec?.selector ?? { missing: 'selector' });
    expect(pod?.metadata.labels).toMatchObject(deployment.spec?.selector?.matchLabels ?? {});
    expect(service.spec?.ports?.map((p) => p.targetPort).sort()).toEqual([...portNames].sort());
    expect(service.spec?.ports?.map((p) => p.port).sort()).toEqual(
      [PORTS.collector, PORTS.otlp, PORTS.otlpGrpc].sort(),
    );
    // The pod reads the ConfigMap and Secret the chart renders.
    const configMap = one(manifests, 'ConfigMap');
    const secret = one(manifests, 'Secret');
    expect(container.envFrom?.map((e) => e.configMapRef?.name ?? e.secretRef?.name)).toEqual([
      configMap.metadata.name,
      secret.metadata.name,
    ]);
    expect(secret.stringData?.EVENTSCOPE_POSTGRES_URL).toBe(PG_URL);
    expect(JSON.stringify(configMap.data)).not.toContain('s3cr');
  });

  it('gives the collector only settings it knows, with values it accepts', async () => {
    const manifests = await render(BROKERS, { postgres: { url: PG_URL }, env: { EVENTSCOPE_RETENTION_HOURS: 72 } });
    const settings = collectorSettings();
    const data = { ...one(manifests, 'ConfigMap').data, ...one(manifests, 'Secret').stringData };
    for (const [key, value] of Object.entries(data)) {
      expect(typeof value, key).toBe('string');
      if (key === 'KAFKA_BROKERS' || key === 'SCHEMA_REGISTRY_URL') continue;
      expect(settings.has(key), `${key} is a collector setting`).toBe(true);
      const allowed = settings.get(key);
      if (allowed) expect(allowed, `${key}=${String(value)}`).toContain(value);
    }
    expect(data).toMatchObject({
      KAFKA_BROKERS: BROKERS.kafka.brokers,
      EVENTSCOPE_STORE: 'postgres',
      EVENTSCOPE_MONITOR_ELECTION: 'kafka',
      EVENTSCOPE_HOST: '0.0.0.0',
      EVENTSCOPE_RETENTION_HOURS: '72',
    });
  });

  it('reads the PostgreSQL URL from an existing Secret when given one', async () => {
    const manifests = await render(BROKERS, { postgres: { existingSecret: 'pg-conn', existingSecretKey: 'url' } });
    validateAll(manifests);
    expect(manifests.some((m) => m.kind === 'Secret')).toBe(false);
    const container = one(manifests, 'Deployment').spec?.template?.spec.containers[0];
    expect(container?.env).toEqual([
      { name: 'EVENTSCOPE_POSTGRES_URL', valueFrom: { secretKeyRef: { name: 'pg-conn', key: 'url' } } },
    ]);
    expect(one(manifests, 'ConfigMap').data?.EVENTSCOPE_STORE).toBe('postgres');
  });

  it('runs one SQLite collector without PostgreSQL, with no Secret and no disruption budget', async () => {
    const manifests = await render(BROKERS, { replicaCount: 1 });
    validateAll(manifests);
    expect(manifests.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    expect(one(manifests, 'ConfigMap').data).toMatchObject({ EVENTSCOPE_STORE: 'sqlite' });
    expect(one(manifests, 'ConfigMap').data).not.toHaveProperty('EVENTSCOPE_MONITOR_ELECTION');
  });

  it('refuses settings that cannot work, saying which', async () => {
    expect(await refusal({})).toMatch(/kafka\.brokers is required/);
    expect(await refusal(BROKERS)).toMatch(/replicaCount > 1 needs postgres\.url/);
    expect(await refusal(BROKERS, { postgres: { url: PG_URL, existingSecret: 'x' } })).toMatch(/not both/);
    expect(await refusal(BROKERS, { postgres: { url: PG_URL }, monitorElection: 'raft' })).toMatch(
      /monitorElection must be kafka or off/,
    );
    expect(await refusal(BROKERS, { replicaCount: 1, env: { __proto__x: '1', 'bad name': '2' } })).toMatch(
      /is not an environment variable name/,
    );
    expect(await refusal(BROKERS, { replicaCount: 1, env: { EVENTSCOPE_STORE: 'postgres' } })).toMatch(
      /EVENTSCOPE_STORE is set by the chart/,
    );
    expect(
      await refusal(BROKERS, {
        replicaCount: 1,
        env: { EVENTSCOPE_API_TOKEN: 'a' },
        secretEnv: { EVENTSCOPE_API_TOKEN: 'b' },
      }),
    ).toMatch(/in both env and secretEnv/);
  });

  it('passes quotes, newlines, YAML specials and non-ASCII through unchanged', async () => {
    const odd = ['a"b\\c', 'line1\nline2', '#: - [x] {y} *z &w !v', 'ünï ✓ \u0007', 'null', '0x10'];
    const url = `postgres://u:${encodeURIComponent(odd.join(''))}@db:5432/es`;
    const env = Object.fromEntries(odd.map((v, i) => [`EVENTSCOPE_TEST_${i}`, v]));
    const manifests = await render(BROKERS, {
      postgres: { url },
      env,
      secretEnv: { EVENTSCOPE_API_TOKEN: odd.join(' ') },
    });
    validateAll(manifests);
    expect(one(manifests, 'ConfigMap').data).toMatchObject(env);
    expect(one(manifests, 'Secret').stringData).toEqual({
      EVENTSCOPE_POSTGRES_URL: url,
      EVENTSCOPE_API_TOKEN: odd.join(' '),
    });
  });

  it('schema check rejects what the Kubernetes API would', async () => {
    const manifests = await render(BROKERS, { postgres: { url: PG_URL } });
    const deployment = structuredClone(one(manifests, 'Deployment'));
    const port = deployment.spec?.template?.spec.containers[0]?.ports[0];
    if (port) (port as unknown as Record<string, unknown>).containerPort = 'http';
    expect(() => validateAll([deployment])).toThrow(/containerPort must be integer/);
    const service = structuredClone(one(manifests, 'Service'));
    (service.spec as Record<string, unknown>).ports = [{ name: 'http', port: 'eighty' }];
    expect(() => validateAll([service])).toThrow(/port must be integer/);
  });

  it("prints NOTES that name the release's Service and ports", async () => {
    const res = await renderChart(CHART, {
      valueFiles: [valuesFile({ ...BROKERS, postgres: { url: PG_URL } })],
      release: 'obs',
      namespace: 'tracing',
      notes: true,
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('svc/obs-eventscope');
    expect(res.stdout).toContain(`obs-eventscope.tracing.svc:${PORTS.otlp}`);
    expect(res.stdout).toMatch(/2 collector pod\(s\).*PostgreSQL/);
  });
});
