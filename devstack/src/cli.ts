/**
 * devstack: the commands behind `npm start`, `npm test` and `npm run stack -- <command>`.
 * Run through scripts/es, which first makes sure Node >= 22 and node_modules are present.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DevstackError } from './errors.ts';
import { DEFAULT_KAFKA_VERSION, ensureKafka, installKafka, intFromEnv } from './kafka.ts';
import { log, phase, phaseExit } from './log.ts';
import { exists, repoRoot, stateDir } from './paths.ts';
import { PORTS } from './ports.ts';
import { runInherit, tail } from './proc.ts';
import { installRegistry, DEFAULT_REGISTRY_VERSION } from './registry.ts';
import { startAlertmanager, startCollector, startDemo, startPrometheus, type RunningService } from './services.ts';
import { ensureStack, stopLeftovers, type Stack } from './stack.ts';
import { ALERTMANAGER, AMTOOL, CHROMIUM, ensureTool, PROMETHEUS, PROMTOOL } from './tools.ts';

const USAGE = `usage: npm run stack -- <command>

commands:
  start        start Kafka, the registry, the collector + dashboard, the demo services with
               steady load, Alertmanager and Prometheus; prints the URLs; Ctrl-C stops what it started
  test         run every check: typecheck, lint, all workspace tests against a real broker
               and registry, and the broker smoke test on Kafka 3.9 as well
  setup        install everything the demo and tests need, start nothing
  stop         stop services an earlier run left running (found through pid files)
  help         this text

environment:
  ES_KAFKA_VERSION          Kafka version to run (default ${DEFAULT_KAFKA_VERSION})
  ES_KAFKA_PORT             broker port on 127.0.0.1 (default 9092)
  ES_KAFKA_CONTROLLER_PORT  KRaft controller port (default 9094)
  ES_REGISTRY_PORT          Apicurio Registry port (default 8081)
  ES_REGISTRY_VERSION       Apicurio Registry version (default ${DEFAULT_REGISTRY_VERSION}, or 3.0.9 without Java 21)
  ES_COMPAT_KAFKA_VERSION   second Kafka version the broker smoke test runs on (default 3.9.1)
  ES_SKIP_BROWSER           set to 1 to not install Chromium (browser tests then fail)
`;

/** Workspaces whose tests `npm test` runs, in order. */
const WORKSPACES = ['devstack', 'collector', 'demo-services', 'dashboard', 'grafana', 'bench'] as const;
const STATIC_CHECKS = ['typecheck', 'lint', 'format'];
const COMPAT_KAFKA_VERSION = process.env.ES_COMPAT_KAFKA_VERSION ?? '3.9.1';

interface TestCounts {
  passed: number;
  failed: number;
  skipped: number;
}

function onSignals(handler: (signal: NodeJS.Signals) => void): void {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, handler);
}

async function setup(): Promise<void> {
  await phase('tools: Kafka, schema registry, Prometheus, Alertmanager tools, Chromium', async () => {
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
  });
  await phase('schema registry download', async () => {
    const { findJava } = await import('./java.ts');
    const version = process.env.ES_REGISTRY_VERSION ?? ((await findJava(21)) ? DEFAULT_REGISTRY_VERSION : '3.0.9');
    await installRegistry(version);
  });
}

async function start(): Promise<void> {
  const running: RunningService[] = [];
  let stack: Stack | undefined;
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('stopping what this run started…');
    for (const svc of [...running].reverse()) {
      log(`stopping ${svc.name}`);
      await svc.stop().catch((err: unknown) => log(`could not stop ${svc.name}: ${String(err)}`));
    }
    await stack?.stop();
    log('stopped');
  };
  onSignals((signal) => {
    void stopAll().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
  try {
    stack = await phase('start Kafka and the schema registry', () => ensureStack());
    const env = stack.env;
    if (exists(path.join(repoRoot, 'dashboard', 'src'))) {
      const code = await phaseExit('build the dashboard', () =>
        runInherit('npm', ['run', 'build', '--silent', '-w', 'dashboard'], { cwd: repoRoot }),
      );
      if (code !== 0) log('the dashboard did not build; the collector serves the API only');
    }
    const collector = await phase('start the collector', () => startCollector(env));
    if (collector) running.push(collector);
    const demo = await phase('start the demo services', () => startDemo(env));
    if (demo) running.push(demo);
    const alertmanager = await phase('start Alertmanager', () => startAlertmanager());
    if (alertmanager) running.push(alertmanager);
    const prometheus = await phase('start Prometheus', () =>
      startPrometheus(PORTS.prometheus, alertmanager ? PORTS.alertmanager : undefined),
    );
    if (prometheus) running.push(prometheus);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const kafka = stack.kafka;
  const registry = stack.registry;
  const row = (label: string, value: string | undefined): string => `  ${label.padEnd(22)}${value ?? '-'}`;
  const byName = (name: string): RunningService | undefined => running.find((s) => s.name === name);
  const collectorUrl = byName('collector')?.url;
  const lines = [
    '',
    'eventscope is running:',
    row('Dashboard', collectorUrl),
    row('Collector API docs', collectorUrl && `${collectorUrl}/docs`),
    row('Collector metrics', collectorUrl && `${collectorUrl}/metrics`),
    row('OTLP/HTTP traces', collectorUrl && `http://127.0.0.1:${PORTS.otlp}/v1/traces`),
    row('Demo order API', byName('demo-services')?.url),
    row('Prometheus', running.find((s) => s.name.startsWith('prometheus'))?.url),
    row('Alertmanager', byName('alertmanager')?.url),
    row('Kafka bootstrap', `${kafka.brokers}${kafka.owned ? '' : ' (reused)'}`),
    row('Schema registry', `${registry?.url ?? '-'}${registry?.owned === false ? ' (reused)' : ''}`),
    row('Logs', path.join(stateDir, 'logs')),
    '',
    'Press Ctrl-C to stop everything this command started.',
    '',
  ];
  process.stdout.write(lines.join('\n'));
  // Keep running until a signal arrives; a service that dies is reported.
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

async function runWorkspaceTests(stack: Stack, counts: TestCounts): Promise<string[]> {
  const failures: string[] = [];
  const outDir = path.join(repoRoot, 'test-output');
  mkdirSync(outDir, { recursive: true });
  for (const ws of WORKSPACES) {
    const report = path.join(outDir, `vitest-${ws}.json`);
    rmSync(report, { force: true });
    const code = await phaseExit(`tests: ${ws}`, () =>
      runInherit(
        'npm',
        [
          'run',
          'test',
          '--silent',
          '-w',
          ws,
          '--',
          '--reporter=default',
          '--reporter=json',
          `--outputFile.json=${report}`,
        ],
        { cwd: repoRoot, env: { ...process.env, ...stack.env } },
      ),
    );
    addCounts(report, counts);
    if (code !== 0) failures.push(`tests: ${ws} (exit ${code})`);
  }
  return failures;
}

function addCounts(report: string, counts: TestCounts): void {
  try {
    const json = JSON.parse(readFileSync(report, 'utf8')) as {
      numPassedTests?: number;
      numFailedTests?: number;
      numPendingTests?: number;
      numTodoTests?: number;
    };
    counts.passed += json.numPassedTests ?? 0;
    counts.failed += json.numFailedTests ?? 0;
    counts.skipped += (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  } catch {
    counts.failed += 1; // a suite that wrote no report did not run properly
  }
}

async function test(): Promise<number> {
  const started = performance.now();
  const failures: string[] = [];
  const counts: TestCounts = { passed: 0, failed: 0, skipped: 0 };
  let stack: Stack | undefined;
  let compatStop: (() => Promise<void>) | undefined;
  onSignals((signal) => {
    log(`${signal}: stopping what this run started`);
    void Promise.allSettled([stack?.stop(), compatStop?.()]).then(() => process.exit(130));
  });
  const check = async (name: string, cmd: string, args: string[]): Promise<void> => {
    const code = await phaseExit(name, () => runInherit(cmd, args, { cwd: repoRoot }));
    if (code !== 0) failures.push(`${name} (exit ${code})`);
  };
  try {
    await setup();
    await check('typecheck', 'npm', ['run', 'typecheck', '--silent']);
    await check('lint', 'npm', ['run', 'lint', '--silent']);
    await check('format', 'npm', ['run', 'format:check', '--silent']);
    const testStack = await phase('start Kafka and the schema registry', () =>
      ensureStack({ kafka: { instance: 'test' } }),
    );
    stack = testStack;
    failures.push(...(await runWorkspaceTests(testStack, counts)));
    // The broker smoke tests once more against the older supported Kafka line.
    const compatPort = intFromEnv(process.env, 'ES_COMPAT_KAFKA_PORT', 19092);
    const compat = await phase(`start Kafka ${COMPAT_KAFKA_VERSION} for the compatibility run`, () =>
      ensureKafka({
        version: COMPAT_KAFKA_VERSION,
        port: compatPort,
        controllerPort: compatPort + 1,
        fresh: true,
        instance: 'compat',
      }),
    );
    compatStop = () => compat.stop();
    const report = path.join(repoRoot, 'test-output', 'vitest-kafka-compat.json');
    const code = await phaseExit(`tests: broker smoke on Kafka ${COMPAT_KAFKA_VERSION}`, () =>
      runInherit(
        'npm',
        [
          'run',
          'test',
          '--silent',
          '-w',
          'devstack',
          '--',
          'test/kafka.smoke.test.ts',
          '--reporter=default',
          '--reporter=json',
          `--outputFile.json=${report}`,
        ],
        { cwd: repoRoot, env: { ...process.env, ...testStack.env, KAFKA_BROKERS: compat.brokers } },
      ),
    );
    addCounts(report, counts);
    if (code !== 0) failures.push(`broker smoke on Kafka ${COMPAT_KAFKA_VERSION} (exit ${code})`);
    await compat.stop();
    compatStop = undefined;
  } catch (err) {
    failures.push(describe(err));
  } finally {
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
    await compatStop?.();
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  if (failures.length > 0) {
    log(`FAILED after ${seconds} s:\n  - ${failures.join('\n  - ')}`);
  } else {
    log(`all checks passed in ${seconds} s`);
  }
  process.stdout.write(`\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  return failures.length > 0 || counts.failed > 0 ? 1 : 0;
}

function describe(err: unknown): string {
  if (err instanceof DevstackError) return `${err.code}: ${err.message}${err.logFile ? ` (log: ${err.logFile})` : ''}`;
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  if (rest.length > 0)
    throw new DevstackError('BAD_ARGUMENT', `unexpected arguments after "${command}": ${rest.join(' ')}`);
  switch (command) {
    case 'start':
      await start();
      return 0;
    case 'test':
      return test();
    case 'setup':
      await setup();
      return 0;
    case 'stop': {
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
