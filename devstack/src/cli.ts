/**
 * devstack: the commands behind `npm start`, `npm test` and `npm run stack -- <command>`.
 * Run through scripts/es, which first makes sure Node >= 22 and node_modules are present.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DevstackError } from './errors.ts';
import {
  DEFAULT_KAFKA_VERSION,
  ensureKafka,
  installKafka,
  intFromEnv,
  kafkaOptionsFromEnv,
  probeKafka,
  type KafkaHandle,
} from './kafka.ts';
import { log, phase, phaseExit } from './log.ts';
import { exists, repoRoot, stateDir } from './paths.ts';
import { beginShutdown, forceKillOwned, runInherit, runPrefixed, tail } from './proc.ts';
import { installRegistry, DEFAULT_REGISTRY_VERSION, JAVA17_REGISTRY_VERSION } from './registry.ts';
import {
  localPortsFromEnv,
  startAlertmanager,
  startCollector,
  startDemo,
  startPrometheus,
  type RunningService,
} from './services.ts';
import { DEFAULT_POSTGRES_URL, ensurePostgres } from './postgres.ts';
import { ensureStack, stopLeftovers, type Stack } from './stack.ts';
import { readVitestReport, type TestReportSummary } from './test-report.ts';
import { ALERTMANAGER, AMTOOL, CHROMIUM, ensureOptionalTool, ensureTool, PROMETHEUS, PROMTOOL } from './tools.ts';
import { ensureHelmRender } from './helm.ts';

const USAGE = `usage: npm run stack -- <command>

commands:
  start [--steady] [--store=postgres]
               start Kafka, the registry, the collector + dashboard, the demo services with a
               load generator that shows every pattern (declines, sold-out rejects, poison
               records in a DLQ, duplicates, a consumer falling behind now and then; --steady:
               orders only), Alertmanager and Prometheus (installed when missing); prints the
               URLs; Ctrl-C stops what it started (a second Ctrl-C kills it at once).
               --store=postgres: the collector keeps its store in PostgreSQL at
               EVENTSCOPE_POSTGRES_URL (default ${DEFAULT_POSTGRES_URL}),
               started from Debian's packages in .eventscope/postgres-<port> when none answers
  collector --brokers <host:port,...> [--registry <url>]
               only the collector and dashboard, against your own Kafka (and schema registry's
               Confluent-compatible URL); no local broker, no demo
  test         run every check: typecheck, lint, all workspace tests against real brokers
               and a registry (three lanes side by side, a broker each), and the broker smoke
               and collector-only tests on Kafka 3.9 as well
  setup        install everything the demo and tests need, start nothing
  stop         stop services an earlier run left running (found through pid files)
  help         this text

environment:
  ES_KAFKA_VERSION          Kafka version to run (default ${DEFAULT_KAFKA_VERSION})
  ES_KAFKA_PORT             broker port on 127.0.0.1 (default 9092)
  ES_KAFKA_CONTROLLER_PORT  KRaft controller port (default 9094)
  ES_REGISTRY_PORT          Apicurio Registry port (default 8081)
  ES_REGISTRY_VERSION       Apicurio Registry version (default ${DEFAULT_REGISTRY_VERSION}, or ${JAVA17_REGISTRY_VERSION} without Java 21)
  ES_COMPAT_KAFKA_VERSION   second Kafka version the broker smoke and collector-only tests run on (default 3.9.1)
  ES_COMPAT_KAFKA_PORT, ES_TEST_LANE_KAFKA_PORT
                            ports of npm test's 3.9 broker (default 19092) and of the brokers of
                            its second and third test lanes (default 19192, and 100 above it);
                            controllers on port + 1
  ES_COLLECTOR_PORT, ES_OTLP_PORT, ES_OTLP_GRPC_PORT, ES_ORDER_PORT, ES_PROMETHEUS_PORT,
  ES_ALERTMANAGER_PORT      move the collector (8080, OTLP/HTTP 4318, OTLP/gRPC 4317), the order
                            API (8090), Prometheus (9090) and Alertmanager (9093)
  ES_JVM_OPTS               extra options for the JVMs devstack and the tests start (brokers,
                            registry, Kafka's tools); npm test's default -XX:TieredStopAtLevel=1
  NODE_COMPILE_CACHE        V8's code cache of the Node processes started from here
                            (default .eventscope/cache/node-compile)
  ES_STATE_DIR              where downloads, data, logs and pid files go (default .eventscope)
  ES_SKIP_DASHBOARD_BUILD   set to 1 to serve the dashboard as last built
  ES_SKIP_BROWSER           set to 1 to not install Chromium (browser tests then fail)
`;

/** One vitest run of `npm test`: a workspace, or one project of it. */
interface TestPhase {
  ws: string;
  project?: string;
}

/**
 * What `npm test` runs, in three lanes side by side, each lane on a broker of its own: the
 * collector's `broker` project runs its files one at a time and its lag monitor tests poll the
 * whole broker, so the topics the other workspaces make and delete must not land on its broker
 * while it runs. Its files that never poll (the `standalone` project: store, intake, auth...) run
 * in the second lane, then the demo services and the benchmarks' smoke tests; the ones whose
 * collectors watch only a prefix of their own (`scoped`: the demo suites, the OTLP-in-Kafka
 * receiver) in the third, then the dashboard. The devstack and grafana suites follow the broker
 * project in the first lane (before, with them in the second lane and the benchmarks in the
 * third, a clean-clone run's lanes took ~15, ~20 and ~22 min). The lanes spend much of their time
 * waiting on Kafka and the processes they start: on 2 cores two lanes kept ~60% of the CPU busy;
 * three share the waits (the slowest files npm test lists at its end say how to rebalance them).
 */
const LANES: readonly (readonly TestPhase[])[] = [
  [{ ws: 'collector', project: 'broker' }, { ws: 'grafana' }, { ws: 'devstack' }],
  [{ ws: 'collector', project: 'standalone' }, { ws: 'demo-services' }, { ws: 'bench' }],
  [{ ws: 'collector', project: 'scoped' }, { ws: 'dashboard' }],
];

const STATIC_CHECKS = ['typecheck', 'lint', 'format'];
const COMPAT_KAFKA_VERSION = process.env.ES_COMPAT_KAFKA_VERSION ?? '3.9.1';

async function setup(): Promise<void> {
  await phase('tools: Kafka, schema registry, Prometheus, Alertmanager tools, Chromium, helm-render', async () => {
    await Promise.all([
      installKafka(process.env.ES_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION),
      installKafka(COMPAT_KAFKA_VERSION),
    ]);
    // Apt installs one package at a time.
    await ensureTool(PROMETHEUS);
    await ensureTool(PROMTOOL);
    await ensureTool(AMTOOL);
    await ensureTool(ALERTMANAGER);
    if (process.env.ES_SKIP_BROWSER !== '1') await ensureTool(CHROMIUM);
    // Go and sprig from Debian, then helm-render (the Helm chart's checks; devstack/src/helm.ts).
    await ensureHelmRender();
  });
  await phase('schema registry download', async () => {
    const { findJava } = await import('./java.ts');
    const version =
      process.env.ES_REGISTRY_VERSION ?? ((await findJava(21)) ? DEFAULT_REGISTRY_VERSION : JAVA17_REGISTRY_VERSION);
    await installRegistry(version);
  });
}

/**
 * Ctrl-C, SIGTERM or SIGHUP at any moment: no new process starts, waits in flight end, and
 * everything this run started is stopped, newest first; then the process exits. A second
 * signal kills what is left at once. `body` runs until it returns or a signal arrives.
 */
async function withCleanup(name: string, body: () => Promise<number>): Promise<number> {
  let signalled: NodeJS.Signals | undefined;
  const exitCode = (signal: NodeJS.Signals): number => (signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (signalled) {
        log(`${signal} again: killing what ${name} started`);
        forceKillOwned();
        process.exit(exitCode(signalled));
      }
      signalled = signal;
      log(
        `${signal}: stopping what ${name} started (${signal === 'SIGINT' ? 'Ctrl-C again' : 'a second signal'} kills it at once)…`,
      );
      void beginShutdown(`${name} was interrupted (${signal})`).then(() => {
        log('stopped');
        process.exit(exitCode(signal));
      });
    });
  }
  try {
    return await body();
  } catch (err) {
    // An interrupted start fails wherever it was; the signal handler is stopping it all.
    if (signalled) return new Promise<never>(() => undefined);
    await beginShutdown(`${name} failed`);
    throw err;
  }
}

interface StartOptions {
  steady: boolean;
  /** The collector's store; `postgres`: the server at EVENTSCOPE_POSTGRES_URL, started when none answers. */
  store: 'sqlite' | 'postgres';
}

/** `--store`: sqlite (default) or postgres. */
function storeOption(value: unknown): StartOptions['store'] {
  if (value === undefined || value === 'sqlite' || value === 'postgres') return value ?? 'sqlite';
  throw new DevstackError('BAD_ARGUMENT', `start: --store is sqlite or postgres, not ${JSON.stringify(value)}`);
}

async function buildDashboard(): Promise<void> {
  if (!exists(path.join(repoRoot, 'dashboard', 'src')) || process.env.ES_SKIP_DASHBOARD_BUILD === '1') return;
  const code = await phaseExit('build the dashboard', () =>
    runInherit('npm', ['run', 'build', '--silent', '-w', 'dashboard'], { cwd: repoRoot }),
  );
  if (code !== 0) log('the dashboard did not build; the collector serves the API only');
}

/** Prints the URL table, then waits (until a signal), reporting a service that dies. */
async function serve(running: RunningService[], rows: [string, string | undefined][]): Promise<never> {
  const row = (label: string, value: string | undefined): string => `  ${label.padEnd(22)}${value ?? '-'}`;
  const lines = [
    '',
    'eventscope is running:',
    ...rows.map(([label, value]) => row(label, value)),
    row('Logs', path.join(stateDir, 'logs')),
    '',
    'Press Ctrl-C to stop everything this command started.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    for (const svc of running) {
      if (svc.exitStatus?.()) {
        log(`${svc.name} ${svc.exitStatus()}; see ${svc.logFile}`);
        running.splice(running.indexOf(svc), 1);
      }
    }
  }
}

async function start(options: StartOptions): Promise<never> {
  const ports = localPortsFromEnv();
  const running: RunningService[] = [];
  const stack = await phase('start Kafka and the schema registry', () => ensureStack());
  const postgres =
    options.store === 'postgres'
      ? await phase('start PostgreSQL', () =>
          ensurePostgres(process.env.EVENTSCOPE_POSTGRES_URL ?? DEFAULT_POSTGRES_URL),
        )
      : undefined;
  const env = postgres
    ? { ...stack.env, EVENTSCOPE_STORE: 'postgres', EVENTSCOPE_POSTGRES_URL: postgres.url }
    : stack.env;
  await buildDashboard();
  const collector = await phase('start the collector', () => startCollector(env, ports));
  if (collector) running.push(collector);
  const demo = await phase('start the demo services', () => startDemo(env, { ports, steady: options.steady }));
  if (demo) running.push(demo);
  // Installed on first use; where that cannot work, the reason and the fix are printed.
  const alertmanagerBin = await ensureOptionalTool(ALERTMANAGER);
  const alertmanager = alertmanagerBin
    ? await phase('start Alertmanager', () => startAlertmanager(ports.alertmanager, alertmanagerBin))
    : undefined;
  if (alertmanager) running.push(alertmanager);
  const prometheusBin = await ensureOptionalTool(PROMETHEUS);
  const prometheus = prometheusBin
    ? await phase('start Prometheus', () =>
        startPrometheus(ports.prometheus, alertmanager ? ports.alertmanager : undefined, {
          binary: prometheusBin,
          collectorPort: ports.collector,
        }),
      )
    : undefined;
  if (prometheus) running.push(prometheus);
  const { kafka, registry } = stack;
  const collectorUrl = collector?.url;
  return serve(running, [
    ['Dashboard', collectorUrl],
    ['Collector API docs', collectorUrl && `${collectorUrl}/docs`],
    ['Collector metrics', collectorUrl && `${collectorUrl}/metrics`],
    ['OTLP/HTTP traces', collectorUrl && `http://127.0.0.1:${ports.otlp}/v1/traces`],
    ['OTLP/gRPC traces', collectorUrl && `http://127.0.0.1:${ports.otlpGrpc}`],
    ['Demo order API', demo?.url],
    ['Prometheus', prometheus?.url],
    ['Alertmanager', alertmanager?.url],
    ['Kafka bootstrap', `${kafka.brokers}${kafka.owned ? '' : ' (reused)'}`],
    ['Schema registry', `${registry?.url ?? '-'}${registry?.owned === false ? ' (reused)' : ''}`],
    ['Store', postgres ? `PostgreSQL ${postgres.url}${postgres.started ? '' : ' (reused)'}` : 'SQLite'],
  ]);
}

/**
 * `npm run stack -- collector --brokers <list>`: only the collector and its dashboard, against
 * the user's own Kafka (no local broker, no registry unless given, no demo).
 */
async function collectorOnly(options: { brokers: string; registry: string | undefined }): Promise<never> {
  const ports = localPortsFromEnv();
  const env: Record<string, string> = { KAFKA_BROKERS: options.brokers };
  if (options.registry) env.SCHEMA_REGISTRY_URL = options.registry;
  await phase(`check Kafka at ${options.brokers}`, async () => {
    try {
      return await probeKafka(options.brokers, 10_000);
    } catch (err) {
      throw new DevstackError(
        'START_FAILED',
        `no Kafka answered at ${options.brokers} (${err instanceof Error ? err.message : String(err)}); check --brokers and that this machine can reach them`,
        { cause: err },
      );
    }
  });
  await buildDashboard();
  const collector = await phase('start the collector', () => startCollector(env, ports));
  if (!collector) throw new DevstackError('START_FAILED', 'collector/src/server.ts is missing');
  return serve(
    [collector],
    [
      ['Dashboard', collector.url],
      ['Collector API docs', `${collector.url}/docs`],
      ['Collector metrics', `${collector.url}/metrics`],
      ['OTLP/HTTP traces', `http://127.0.0.1:${ports.otlp}/v1/traces`],
      ['OTLP/gRPC traces', `http://127.0.0.1:${ports.otlpGrpc}`],
      ['Kafka bootstrap', options.brokers],
      ['Schema registry', options.registry],
    ],
  );
}

/** Each lane's workspaces one after another, the lanes side by side; the failed phases. */
async function runWorkspaceTests(laneEnvs: NodeJS.ProcessEnv[], counts: TestReportSummary): Promise<string[]> {
  const outDir = path.join(repoRoot, 'test-output');
  mkdirSync(outDir, { recursive: true });
  const lanes = LANES.map(async (phases, lane) => {
    const failures: string[] = [];
    for (const { ws, project } of phases) {
      const name = project ? `${ws}:${project}` : ws;
      const report = path.join(outDir, `vitest-${name.replace(':', '-')}.json`);
      rmSync(report, { force: true });
      const args = project ? ['--project', project] : [];
      const code = await runVitest(`tests: ${name}`, ws, args, report, laneEnvs[lane] ?? process.env, counts);
      if (code !== 0) failures.push(`tests: ${name} (exit ${code})`);
    }
    return failures;
  });
  return (await Promise.all(lanes)).flat();
}

/**
 * `npm test -w <ws> -- <files>` as a phase, its output prefixed with the workspace's name (the
 * lanes run side by side), its JSON report added to `counts`; its exit code.
 */
async function runVitest(
  title: string,
  ws: string,
  vitestArgs: string[],
  report: string,
  env: NodeJS.ProcessEnv,
  counts: TestReportSummary,
): Promise<number> {
  const timings = report.replace(/vitest-(.*)\.json$/, 'timings-$1.tsv');
  rmSync(timings, { force: true });
  const args = ['run', 'test', '--silent', '-w', ws, '--', ...vitestArgs, '--reporter=default', '--reporter=json'];
  args.push(`--reporter=${path.join(repoRoot, 'devstack/src/vitest-timing-reporter.ts')}`);
  const code = await phaseExit(title, () =>
    runPrefixed('npm', [...args, `--outputFile.json=${report}`], `[${title.replace(/^tests: /, '')}]`, {
      cwd: repoRoot,
      env: { ...env, ES_TIMINGS_FILE: timings },
    }),
  );
  const before = counts.failures.length;
  addCounts(report, counts);
  if (code !== 0 && counts.failures.length === before) {
    counts.failures.push(
      `${title}: exit ${code} with no failed test in its report (an unhandled error? see its lines above)`,
    );
  }
  return code;
}

function addCounts(report: string, counts: TestReportSummary): void {
  const read = readVitestReport(report, repoRoot);
  counts.passed += read.passed;
  counts.failed += read.failed;
  counts.skipped += read.skipped;
  counts.failures.push(...read.failures);
}

async function test(): Promise<number> {
  const started = performance.now();
  const failures: string[] = [];
  const counts: TestReportSummary = { passed: 0, failed: 0, skipped: 0, failures: [] };
  let stack: Stack | undefined;
  const brokers: KafkaHandle[] = [];
  const check = async (name: string, script: string): Promise<void> => {
    const code = await phaseExit(name, () =>
      // At a low priority: they fill the cores the lanes leave idle while those wait on Kafka.
      runPrefixed('nice', ['-n', '10', 'npm', 'run', script, '--silent'], `[${name}]`, { cwd: repoRoot }),
    );
    if (code !== 0) failures.push(`${name} (exit ${code})`);
  };
  let checks: Promise<unknown> = Promise.resolve();
  // Every JVM of the run (brokers, registry, Kafka's tools, the Java test apps) on C1 alone:
  // half the CPU to start a broker, two thirds to idle (java.ts, jvmOptions).
  process.env.ES_JVM_OPTS ??= '-XX:TieredStopAtLevel=1';
  try {
    await setup();
    // The brokers start while the static checks run; the compat broker waits for the end.
    const lanePort = intFromEnv(process.env, 'ES_TEST_LANE_KAFKA_PORT', 19192);
    const compatPort = intFromEnv(process.env, 'ES_COMPAT_KAFKA_PORT', 19092);
    // The first lane uses the stack's broker; the others one each, 100 ports apart.
    const laneBroker = (lane: number) =>
      phase(`start a Kafka for test lane ${lane + 1}`, () =>
        ensureKafka({
          ...kafkaOptionsFromEnv(),
          port: lanePort + 100 * (lane - 1),
          controllerPort: lanePort + 100 * (lane - 1) + 1,
          fresh: true,
          instance: lane === 1 ? 'lane' : `lane${lane + 1}`,
        }),
      );
    const laneStarts = Promise.allSettled(LANES.slice(1).map((_, i) => laneBroker(i + 1)));
    const starting = Promise.allSettled([
      phase('start Kafka and the schema registry', () => ensureStack({ kafka: { instance: 'test' } })),
      phase(`start Kafka ${COMPAT_KAFKA_VERSION} for the compatibility run`, () =>
        ensureKafka({
          version: COMPAT_KAFKA_VERSION,
          port: compatPort,
          controllerPort: compatPort + 1,
          fresh: true,
          instance: 'compat',
        }),
      ),
    ] as const);
    // The static checks run beside the brokers' start and then beside the test lanes, which spend
    // much of their time waiting on Kafka (~60% of 2 cores busy): the lanes need not wait ~75 s for them.
    checks = Promise.all([check('typecheck', 'typecheck'), check('lint', 'lint'), check('format', 'format:check')]);
    const [[main, compat], lanes] = await Promise.all([starting, laneStarts]);
    if (main.status === 'fulfilled') stack = main.value;
    for (const b of [compat, ...lanes]) if (b.status === 'fulfilled') brokers.push(b.value);
    for (const r of [main, compat, ...lanes]) if (r.status === 'rejected') throw r.reason;
    const laneBrokers = lanes.flatMap((b) => (b.status === 'fulfilled' ? [b.value] : []));
    if (!stack || compat.status !== 'fulfilled') throw new Error('unreachable');
    // The 3.9 broker is there for the lanes too: the several-clusters test watches it beside the 4.x one.
    const env = { ...process.env, ...stack.env, ES_COMPAT_KAFKA_BROKERS: compat.value.brokers };
    const laneEnvs = [env, ...laneBrokers.map((b) => ({ ...env, KAFKA_BROKERS: b.brokers }))];
    failures.push(...(await runWorkspaceTests(laneEnvs, counts)));
    // The broker smoke tests and the collector-only command once more on the older Kafka line.
    const report = path.join(repoRoot, 'test-output', 'vitest-kafka-compat.json');
    const code = await runVitest(
      `tests: broker smoke and collector-only on Kafka ${COMPAT_KAFKA_VERSION}`,
      'devstack',
      ['test/kafka.smoke.test.ts', 'test/collector-only.test.ts'],
      report,
      { ...env, KAFKA_BROKERS: compat.value.brokers },
      counts,
    );
    if (code !== 0) failures.push(`broker smoke and collector-only on Kafka ${COMPAT_KAFKA_VERSION} (exit ${code})`);
  } catch (err) {
    failures.push(describe(err));
  } finally {
    await checks;
    // The services' log tails are read before stopping them, so they show the failure rather
    // than the shutdown. Static checks (typecheck, lint, format) don't need them.
    const serviceTrouble = failures.some((f) => !STATIC_CHECKS.some((c) => f.startsWith(c))) || counts.failed > 0;
    if (serviceTrouble && stack) {
      log(`last lines of the broker log (${stack.kafka.logFile}):\n${tail(stack.kafka.logFile, 40)}`);
      if (stack.registry) {
        log(`last lines of the registry log (${stack.registry.logFile}):\n${tail(stack.registry.logFile, 20)}`);
      }
    }
    await stack?.stop();
    for (const b of brokers) await b.stop();
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (failures.length > 0) {
    log(`FAILED after ${seconds} s:\n  - ${failures.join('\n  - ')}`);
  } else {
    log(`all checks passed in ${seconds} s`);
  }
  process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  process.stdout.write(slowestFiles(10));
  if (counts.failures.length > 0) {
    const shown = counts.failures.slice(0, 8);
    const more = counts.failures.length - shown.length;
    process.stdout.write(`\nfailed (${counts.failures.length}):\n  - ${shown.join('\n  - ')}\n`);
    if (more > 0) process.stdout.write(`  ... and ${more} more in test-output/vitest-*.json\n`);
  }
  return failures.length > 0 || counts.failed > 0 ? 1 : 0;
}

/**
 * The `n` test files that took longest, wall clock with their hooks, from every phase's timings
 * file (written by vitest-timing-reporter.ts): where a lane's minutes go.
 */
function slowestFiles(n: number): string {
  const outDir = path.join(repoRoot, 'test-output');
  const rows: { seconds: number; line: string }[] = [];
  for (const f of readdirSync(outDir).filter((name) => /^timings-.*\.tsv$/.test(name))) {
    const phase = f.slice('timings-'.length, -'.tsv'.length);
    for (const line of readFileSync(path.join(outDir, f), 'utf8').split('\n')) {
      const [seconds, file] = line.split('\t');
      if (seconds && file) rows.push({ seconds: Number(seconds), line: `${seconds.padStart(7)} s  ${phase}: ${file}` });
    }
  }
  if (rows.length === 0) return '';
  rows.sort((a, b) => b.seconds - a.seconds);
  return `slowest test files (wall clock, hooks included; all in test-output/timings-*.tsv):\n${rows
    .slice(0, n)
    .map((r) => r.line)
    .join('\n')}\n`;
}

function describe(err: unknown): string {
  if (err instanceof DevstackError) return `${err.code}: ${err.message}${err.logFile ? ` (log: ${err.logFile})` : ''}`;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

function parse(
  command: string,
  args: string[],
  options: ParseArgsConfig['options'] = {},
): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new DevstackError('BAD_ARGUMENT', `${command}: ${(err as Error).message}\n\n${USAGE}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  switch (command) {
    case 'start': {
      const { values } = parse(command, rest, { steady: { type: 'boolean' }, store: { type: 'string' } });
      const store = storeOption(values.store);
      return withCleanup('npm start', () => start({ steady: values.steady === true, store }));
    }
    case 'collector': {
      const { values } = parse(command, rest, { brokers: { type: 'string' }, registry: { type: 'string' } });
      const brokers = typeof values.brokers === 'string' ? values.brokers : process.env.KAFKA_BROKERS;
      if (!brokers) {
        throw new DevstackError(
          'BAD_ARGUMENT',
          'collector: give your Kafka bootstrap servers: --brokers host1:9092,host2:9092',
        );
      }
      const registry = typeof values.registry === 'string' ? values.registry : process.env.SCHEMA_REGISTRY_URL;
      return withCleanup('the collector', () => collectorOnly({ brokers, registry }));
    }
    case 'test':
      parse(command, rest);
      return withCleanup('npm test', () => test());
    case 'setup':
      parse(command, rest);
      return withCleanup('setup', async () => {
        await setup();
        return 0;
      });
    case 'stop': {
      parse(command, rest);
      const stopped = await stopLeftovers();
      log(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing left running');
      return 0;
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new DevstackError('BAD_ARGUMENT', `unknown command "${command}"\n\n${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`error: ${describe(err)}`);
    process.exit(1);
  },
);
