import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { LOCAL_ENV, PORTS, repoRoot } from '../src/index.ts';

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string | number>;
  volumes?: string[];
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
