import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LOCAL_ENV, PORTS, repoRoot } from '../src/index.ts';
import { collectorSettings } from './collector-config.ts';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition?: string; required?: boolean }> | string[];
}

const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};
const services = compose.services;

function service(name: string): ComposeService {
  const svc = services[name];
  if (!svc) throw new Error(`docker-compose.yml has no service "${name}"`);
  return svc;
}

function publishes(name: string): { host: number; container: number }[] {
  return (service(name).ports ?? []).map((p) => {
    const [host, container] = String(p).split(':').map(Number);
    return { host: host ?? NaN, container: container ?? NaN };
  });
}

const NODE_SERVICES = ['collector', 'order', 'orchestrator', 'inventory', 'payment', 'notification', 'loadgen'];
const DEMO_SERVICES = ['order', 'orchestrator', 'inventory', 'payment', 'notification', 'loadgen'];

describe('docker-compose.yml', () => {
  it('has every part of the stack', () => {
    for (const name of [
      'kafka',
      'registry',
      'prometheus',
      'alertmanager',
      'grafana',
      'collector',
      'dashboard',
      ...DEMO_SERVICES,
    ]) {
      expect(services, `service ${name}`).toHaveProperty(name);
    }
  });

  it('publishes the same host ports as the local scripts', () => {
    expect(publishes('kafka').map((p) => p.host)).toContain(PORTS.kafka);
    expect(publishes('registry').map((p) => p.host)).toEqual([PORTS.registry]);
    expect(
      publishes('collector')
        .map((p) => p.host)
        .sort(),
    ).toEqual([PORTS.otlp, PORTS.otlpGrpc, PORTS.collector].sort());
    expect(publishes('order').map((p) => p.host)).toEqual([PORTS.orderService]);
    expect(publishes('prometheus').map((p) => p.host)).toEqual([PORTS.prometheus]);
    expect(publishes('alertmanager').map((p) => p.host)).toEqual([PORTS.alertmanager]);
    expect(publishes('grafana').map((p) => p.host)).toEqual([PORTS.grafana]);
  });

  it('points every Node service at the broker listener Kafka advertises inside the network', () => {
    const advertised = String(service('kafka').environment?.KAFKA_ADVERTISED_LISTENERS).split(',');
    const internal = advertised.find((l) => l.startsWith('INTERNAL://'))?.replace('INTERNAL://', '');
    const external = advertised.find((l) => l.startsWith('EXTERNAL://'))?.replace('EXTERNAL://', '');
    expect(internal).toBe('kafka:29092');
    // What a client on the host uses is what npm start uses.
    expect(external?.split(':')[1]).toBe(LOCAL_ENV.KAFKA_BROKERS.split(':')[1]);
    for (const name of NODE_SERVICES) {
      expect(service(name).environment?.KAFKA_BROKERS, name).toBe(internal);
    }
  });

  it('points services at the registry container with the same Confluent-compatible path', () => {
    const registryContainerPort = publishes('registry')[0]?.container;
    const localPath = new URL(LOCAL_ENV.SCHEMA_REGISTRY_URL).pathname;
    for (const name of ['collector', ...DEMO_SERVICES]) {
      const url = new URL(String(service(name).environment?.SCHEMA_REGISTRY_URL));
      expect(url.hostname, name).toBe('registry');
      expect(Number(url.port), name).toBe(registryContainerPort);
      expect(url.pathname, name).toBe(localPath);
    }
  });

  it("sends the demo services' traces to the collector's OTLP port", () => {
    const collector = service('collector');
    expect(Number(collector.environment?.EVENTSCOPE_PORT)).toBe(PORTS.collector);
    expect(Number(collector.environment?.EVENTSCOPE_OTLP_PORT)).toBe(PORTS.otlp);
    expect(Number(collector.environment?.EVENTSCOPE_OTLP_GRPC_PORT)).toBe(PORTS.otlpGrpc);
    expect(collector.environment?.EVENTSCOPE_HOST).toBe('0.0.0.0');
    for (const name of DEMO_SERVICES) {
      expect(service(name).environment?.OTEL_EXPORTER_OTLP_ENDPOINT, name).toBe(`http://collector:${PORTS.otlp}`);
    }
    expect(Number(service('order').environment?.ORDER_PORT)).toBe(PORTS.orderService);
  });

  it('runs entry points and mounts files that exist in the repository', () => {
    for (const [name, svc] of Object.entries(services)) {
      const script = svc.command?.find((c) => c.endsWith('.ts'));
      if (script) expect(existsSync(path.join(repoRoot, script)), `${name}: ${script}`).toBe(true);
      for (const volume of svc.volumes ?? []) {
        const host = volume.split(':')[0] ?? '';
        if (host.startsWith('./')) expect(existsSync(path.join(repoRoot, host)), `${name}: ${host}`).toBe(true);
      }
    }
  });

  it('starts the collector through start.ts (its Node flags and environment), in compose, the image and npm', () => {
    // collector/test/start.test.ts checks that start.ts runs the server with node-flags.ts's flags.
    const expected = ['node', 'collector/src/start.ts'];
    expect(service('collector').command).toEqual(expected);
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'))?.[1];
    expect(cmd, 'Dockerfile CMD in exec form').toBeDefined();
    expect(JSON.parse(cmd as string)).toEqual(expected);
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'collector', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe('node src/start.ts');
    expect(pkg.bin['eventscope-collector']).toBe('./src/start.ts');
  });

  it('wires Prometheus to the collector and Grafana to Prometheus', () => {
    const prom = parse(readFileSync(path.join(repoRoot, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = prom.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
    expect(targets).toContain(`collector:${PORTS.collector}`);
    const ds = parse(
      readFileSync(path.join(repoRoot, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
    ) as { datasources: { url: string }[] };
    expect(ds.datasources[0]?.url).toBe(`http://prometheus:${PORTS.prometheus}`);
  });
});

/** `${NAME:-default}` as Compose interpolates it, from `vars` (an env file) or the default. */
function interpolate(value: string | number | undefined, vars: ReadonlyMap<string, string>): string {
  return String(value).replace(
    /\$\{(\w+)(?::-([^}]*))?\}/g,
    (_m, name: string, def?: string) => vars.get(name) ?? def ?? '',
  );
}

function readEnvFile(rel: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of readFileSync(path.join(repoRoot, rel), 'utf8').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) vars.set(m[1], m[2]);
  }
  return vars;
}

describe('docker-compose.yml, profile scale (PostgreSQL, two collectors, a load balancer)', () => {
  const SCALE = ['postgres', 'collector-2', 'collector-lb'];
  const scaleVars = readEnvFile('deploy/compose-scale.env');
  const collectors = ['collector', 'collector-2'];
  const env = (name: string, vars: ReadonlyMap<string, string>): Map<string, string> =>
    new Map(Object.entries(service(name).environment ?? {}).map(([k, v]) => [k, interpolate(v, vars)]));

  it('adds its services under the profile only; the default stack keeps none', () => {
    for (const name of SCALE) expect(service(name).profiles, name).toEqual(['scale']);
    for (const [name, svc] of Object.entries(services)) {
      if (!SCALE.includes(name)) expect(svc.profiles, name).toBeUndefined();
    }
    expect(scaleVars.get('COMPOSE_PROFILES')).toBe('scale');
  });

  it('configures both collectors with keys and values the collector accepts', () => {
    const reference = collectorSettings();
    expect(reference.get('EVENTSCOPE_STORE')).toEqual(['sqlite', 'postgres']);
    for (const name of collectors) {
      for (const [key, value] of env(name, scaleVars)) {
        if (key === 'KAFKA_BROKERS' || key === 'SCHEMA_REGISTRY_URL') continue;
        expect(reference.has(key), `${name}: ${key} is a collector setting`).toBe(true);
        const allowed = reference.get(key);
        if (allowed) expect(allowed, `${name}: ${key}=${value}`).toContain(value);
      }
    }
    // Every variable the env file sets is one the collector reads (or Compose's own).
    for (const key of scaleVars.keys()) {
      if (!key.startsWith('COMPOSE_')) expect(reference.has(key), key).toBe(true);
    }
  });

  it('puts both collectors on one PostgreSQL store with the monitor election, and only with the profile', () => {
    const pg = service('postgres').environment ?? {};
    for (const name of collectors) {
      const e = env(name, scaleVars);
      expect(e.get('EVENTSCOPE_STORE'), name).toBe('postgres');
      expect(e.get('EVENTSCOPE_MONITOR_ELECTION'), name).toBe('kafka');
      const url = new URL(e.get('EVENTSCOPE_POSTGRES_URL') ?? '');
      expect(url.hostname, name).toBe('postgres');
      expect(Number(url.port), name).toBe(5432);
      expect(decodeURIComponent(url.username)).toBe(pg.POSTGRES_USER);
      expect(decodeURIComponent(url.password)).toBe(pg.POSTGRES_PASSWORD);
      expect(url.pathname).toBe(`/${String(pg.POSTGRES_DB)}`);
    }
    expect(env('collector', scaleVars).get('EVENTSCOPE_POSTGRES_URL')).toBe(
      env('collector-2', scaleVars).get('EVENTSCOPE_POSTGRES_URL'),
    );
    for (const name of collectors) {
      const deps = service(name).depends_on;
      expect(Array.isArray(deps) ? deps : deps?.postgres?.condition, name).toBe('service_healthy');
    }
    // Without the env file the single collector stays on SQLite and always polls.
    const plain = env('collector', new Map());
    expect(plain.get('EVENTSCOPE_STORE')).toBe('sqlite');
    expect(plain.get('EVENTSCOPE_MONITOR_ELECTION')).toBe('off');
  });

  it('runs the second collector like the first, without host ports of its own', () => {
    expect(service('collector-2').command).toEqual(service('collector').command);
    expect(service('collector-2').ports ?? []).toEqual([]);
    const first = env('collector', scaleVars);
    for (const key of [
      'KAFKA_BROKERS',
      'SCHEMA_REGISTRY_URL',
      'EVENTSCOPE_HOST',
      'EVENTSCOPE_PORT',
      'EVENTSCOPE_OTLP_PORT',
    ]) {
      expect(env('collector-2', scaleVars).get(key), key).toBe(first.get(key));
    }
  });

  it('balances API, OTLP/HTTP and OTLP/gRPC over both collectors on their ports', () => {
    const lb = service('collector-lb');
    const conf = lb.volumes?.[0]?.split(':')[0] ?? '';
    const nginx = readFileSync(path.join(repoRoot, conf), 'utf8');
    const first = env('collector', scaleVars);
    const listens = [...nginx.matchAll(/listen (\d+);/g)].map((m) => Number(m[1]));
    const published = publishes('collector-lb');
    expect(published.map((p) => p.container).sort()).toEqual([...listens].sort());
    // Host ports differ from the first collector's, which keeps its own.
    for (const p of published) expect(publishes('collector').map((c) => c.host)).not.toContain(p.host);
    for (const key of ['EVENTSCOPE_PORT', 'EVENTSCOPE_OTLP_PORT', 'EVENTSCOPE_OTLP_GRPC_PORT']) {
      const port = first.get(key) ?? '';
      expect(listens, key).toContain(Number(port));
      for (const name of collectors) expect(nginx, `${name}:${port}`).toContain(`server ${name}:${port};`);
    }
  });
});
