/**
 * The eventscope processes `npm start` runs beside Kafka and the registry: the collector,
 * the demo services (with their load generator) and Prometheus. Each is started only when
 * its part of the repository exists, logs to .eventscope/logs/<name>.log, and is stopped on
 * Ctrl-C. A port already answering is reported, not fought over.
 */
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { DevstackError } from './errors.ts';
import { log } from './log.ts';
import { intFromEnv } from './kafka.ts';
import { exists, logDir, repoRoot, runDir, stateDir } from './paths.ts';
import { PORTS } from './ports.ts';
import { isPortOpen, startDaemon, tail, waitFor, type Daemon } from './proc.ts';
import { ALERTMANAGER, findTool, PROMETHEUS } from './tools.ts';

/** Where `npm start` puts the services beside Kafka and the registry; ES_*_PORT moves one. */
export interface LocalPorts {
  collector: number;
  otlp: number;
  otlpGrpc: number;
  orderService: number;
  prometheus: number;
  alertmanager: number;
}

export function localPortsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalPorts {
  return {
    collector: intFromEnv(env, 'ES_COLLECTOR_PORT', PORTS.collector),
    otlp: intFromEnv(env, 'ES_OTLP_PORT', PORTS.otlp),
    otlpGrpc: intFromEnv(env, 'ES_OTLP_GRPC_PORT', PORTS.otlpGrpc),
    orderService: intFromEnv(env, 'ES_ORDER_PORT', PORTS.orderService),
    prometheus: intFromEnv(env, 'ES_PROMETHEUS_PORT', PORTS.prometheus),
    alertmanager: intFromEnv(env, 'ES_ALERTMANAGER_PORT', PORTS.alertmanager),
  };
}

export interface RunningService {
  name: string;
  url: string | undefined;
  logFile: string;
  /** Set once the process has exited on its own. */
  exitStatus?: () => string | undefined;
  stop(): Promise<void>;
}

async function httpOk(url: string): Promise<true | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? true : undefined;
  } catch {
    return undefined;
  }
}

async function startAndWait(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: { url: string; timeoutMs: number } | undefined,
): Promise<Daemon> {
  const logFile = path.join(logDir, `${name}.log`);
  mkdirSync(logDir, { recursive: true });
  writeFileSync(logFile, '');
  const daemon = startDaemon(name, cmd, args, {
    logFile,
    pidFile: path.join(runDir, `${name}.pid`),
    cwd: repoRoot,
    env,
  });
  if (ready) {
    try {
      await waitFor(name, () => httpOk(ready.url), {
        timeoutMs: ready.timeoutMs,
        abort: () => daemon.exitStatus() && `the process ${daemon.exitStatus()}`,
      });
    } catch (err) {
      await daemon.stop(5_000);
      throw new DevstackError(
        'START_FAILED',
        `${(err as Error).message}\nlast lines of ${logFile}:\n${tail(logFile, 30)}`,
        { logFile, cause: err },
      );
    }
  }
  return daemon;
}

function nodeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra, NODE_NO_WARNINGS: '1' };
}

/** Starts the collector (API, dashboard, /metrics, OTLP/HTTP and OTLP/gRPC) when collector/src/server.ts exists. */
export async function startCollector(
  stackEnv: Record<string, string>,
  ports: Pick<LocalPorts, 'collector' | 'otlp' | 'otlpGrpc'> = localPortsFromEnv(),
): Promise<RunningService | undefined> {
  const entry = path.join(repoRoot, 'collector', 'src', 'server.ts');
  if (!exists(entry)) return undefined;
  for (const [port, variable] of [
    [ports.collector, 'ES_COLLECTOR_PORT'],
    [ports.otlp, 'ES_OTLP_PORT'],
    [ports.otlpGrpc, 'ES_OTLP_GRPC_PORT'],
  ] as const) {
    if (await isPortOpen(port)) {
      throw new DevstackError(
        'PORT_TAKEN',
        `port ${port} (collector) is already in use; stop what listens there (an earlier run: npm run stack -- stop) or set ${variable}`,
      );
    }
  }
  const url = `http://127.0.0.1:${ports.collector}`;
  log(`starting the collector on ${url}`);
  // Through start.ts when there is one: it reads the config (heapMb) and starts the server with the
  // collector's own V8 flags and environment (collector/src/node-flags.ts), keeping this pid.
  const launcher = path.join(repoRoot, 'collector', 'src', 'start.ts');
  const daemon = await startAndWait(
    'collector',
    process.execPath,
    [exists(launcher) ? launcher : entry],
    nodeEnv({
      ...stackEnv,
      EVENTSCOPE_PORT: String(ports.collector),
      EVENTSCOPE_OTLP_PORT: String(ports.otlp),
      EVENTSCOPE_OTLP_GRPC_PORT: String(ports.otlpGrpc),
      EVENTSCOPE_TAP_TOPICS: process.env.EVENTSCOPE_TAP_TOPICS ?? '',
    }),
    { url: `${url}/healthz`, timeoutMs: 60_000 },
  );
  return {
    name: 'collector',
    url,
    logFile: daemon.logFile,
    exitStatus: () => daemon.exitStatus(),
    stop: () => daemon.stop(20_000),
  };
}

/**
 * Starts every demo service and the load generator when demo-services/src/main.ts exists.
 * By default the load generator shows every pattern (declines, sold-out rejects, poison
 * records, duplicates, a consumer falling behind now and then); `steady` places orders only.
 */
export async function startDemo(
  stackEnv: Record<string, string>,
  options: { ports?: Pick<LocalPorts, 'orderService' | 'otlp'>; steady?: boolean } = {},
): Promise<RunningService | undefined> {
  const ports = options.ports ?? localPortsFromEnv();
  const entry = path.join(repoRoot, 'demo-services', 'src', 'main.ts');
  if (!exists(entry)) return undefined;
  if (await isPortOpen(ports.orderService)) {
    throw new DevstackError(
      'PORT_TAKEN',
      `port ${ports.orderService} (order service) is already in use; stop what listens there or set ES_ORDER_PORT`,
    );
  }
  const url = `http://127.0.0.1:${ports.orderService}`;
  log(
    `starting the demo services (order API on ${url}) with ${options.steady ? 'steady load, no faults' : 'load that shows every pattern (--steady: orders only)'}`,
  );
  const daemon = await startAndWait(
    'demo-services',
    process.execPath,
    [entry, 'run-all', ...(options.steady ? ['--steady'] : [])],
    nodeEnv({
      ...stackEnv,
      ORDER_PORT: String(ports.orderService),
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.otlp}`,
      DEMO_DATA_DIR: path.join(stateDir, 'demo'),
    }),
    undefined,
  );
  return {
    name: 'demo-services',
    url,
    logFile: daemon.logFile,
    exitStatus: () => daemon.exitStatus(),
    stop: () => daemon.stop(30_000),
  };
}

/**
 * Writes a local copy of prometheus/prometheus.yml whose targets point at 127.0.0.1 (the
 * repository's file is written for docker-compose's service names).
 */
export function localPrometheusConfig(dir: string, alertmanagerPort?: number, collectorPort?: number): string {
  const source = parse(readFileSync(path.join(repoRoot, 'prometheus', 'prometheus.yml'), 'utf8')) as {
    rule_files?: string[];
    alerting?: unknown;
    scrape_configs?: { static_configs?: { targets?: string[] }[] }[];
  };
  const local = {
    ...source,
    rule_files: (source.rule_files ?? []).map((f) => path.join(repoRoot, 'prometheus', f)),
    scrape_configs: (source.scrape_configs ?? []).map((job) => ({
      ...job,
      static_configs: (job.static_configs ?? []).map((sc) => ({
        ...sc,
        targets: (sc.targets ?? []).map((t) => {
          const port = t.split(':')[1] ?? '';
          // The repository's file names the collector's default port; npm start may have moved it.
          return `127.0.0.1:${collectorPort !== undefined && port === String(PORTS.collector) ? collectorPort : port}`;
        }),
      })),
    })),
  };
  if (alertmanagerPort === undefined)
    delete local.alerting; // alerts then show in Prometheus's UI only
  else local.alerting = { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanagerPort}`] }] }] };
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'prometheus.yml');
  writeFileSync(file, `# Generated by devstack from prometheus/prometheus.yml for local use.\n${stringify(local)}`);
  return file;
}

/**
 * Starts Alertmanager with prometheus/alertmanager.yml, when installed. Its example receivers
 * point nowhere real, so notifications fail (logged); the alerts and their routing show in its UI.
 */
export async function startAlertmanager(
  port: number = PORTS.alertmanager,
  binary?: string,
): Promise<RunningService | undefined> {
  binary ??= await findTool(ALERTMANAGER);
  if (!binary) {
    log('Alertmanager is not installed; skipping it (npm run stack -- setup installs it)');
    return undefined;
  }
  if (await isPortOpen(port)) {
    log(`port ${port} already answers; leaving Alertmanager to whoever runs it there`);
    return undefined;
  }
  const dir = path.join(runDir, `alertmanager-${port}`);
  mkdirSync(dir, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  log(`starting Alertmanager on ${url}`);
  const daemon = await startAndWait(
    `alertmanager-${port}`,
    binary,
    [
      `--config.file=${path.join(repoRoot, 'prometheus', 'alertmanager.yml')}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', // one instance: no gossip port
    ],
    process.env,
    { url: `${url}/-/ready`, timeoutMs: 60_000 },
  );
  return {
    name: 'alertmanager',
    url,
    logFile: daemon.logFile,
    exitStatus: () => daemon.exitStatus(),
    stop: () => daemon.stop(10_000),
  };
}

/** Starts Prometheus scraping the local collector (and sending alerts to `alertmanagerPort`), when installed. */
export async function startPrometheus(
  port: number = PORTS.prometheus,
  alertmanagerPort?: number,
  options: { binary?: string; collectorPort?: number } = {},
): Promise<RunningService | undefined> {
  const binary = options.binary ?? (await findTool(PROMETHEUS));
  if (!binary) {
    log('Prometheus is not installed; skipping it (npm run stack -- setup installs it)');
    return undefined;
  }
  if (await isPortOpen(port)) {
    log(`port ${port} already answers; leaving Prometheus to whoever runs it there`);
    return undefined;
  }
  const dir = path.join(runDir, `prometheus-${port}`);
  const config = localPrometheusConfig(dir, alertmanagerPort, options.collectorPort);
  const url = `http://127.0.0.1:${port}`;
  log(`starting Prometheus on ${url}`);
  const daemon = await startAndWait(
    `prometheus-${port}`,
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
    process.env,
    { url: `${url}/-/ready`, timeoutMs: 60_000 },
  );
  return {
    name: 'prometheus',
    url,
    logFile: daemon.logFile,
    exitStatus: () => daemon.exitStatus(),
    stop: () => daemon.stop(10_000),
  };
}
