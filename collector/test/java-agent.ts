/**
 * A real Java service under the real OpenTelemetry Java agent, for tests: plain kafka-clients
 * (the broker's own jars), the agent from Maven Central (cached under .eventscope/cache), the
 * shop in java/EventscopeJavaShop.java compiled once with javac. `runJavaShop` takes
 * the exporter protocol and endpoint, so the same fixture runs over http/protobuf and gRPC.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HEADER } from '@eventscope/contract';
import {
  atomicDir,
  cacheDir,
  compileJava,
  copyArtifact,
  DEFAULT_KAFKA_VERSION,
  installKafka,
  jvmOptions,
  kafkaClasspath,
  logDir,
  requireJava,
} from '@eventscope/devstack';

const exec = promisify(execFile);

/** The agent version the tests run (docs/instrumenting.md names the same). */
export const OTEL_JAVAAGENT_VERSION = '2.31.0';

/** Headers the agent copies onto spans: our envelope (docs/instrumenting.md, Java). */
export const CAPTURE_HEADERS = [HEADER.eventId, HEADER.eventType, HEADER.correlationId, HEADER.causationId].join(',');

const agents = new Map<string, Promise<string>>();

/** The agent jar, downloaded from Maven Central once (one download per process, however many JVMs ask). */
export function otelJavaAgent(version = OTEL_JAVAAGENT_VERSION): Promise<string> {
  let jar = agents.get(version);
  if (jar === undefined) {
    const dir = path.join(cacheDir, `otel-javaagent-${version}`);
    jar = atomicDir(dir, (scratch) =>
      copyArtifact(
        `io.opentelemetry.javaagent:opentelemetry-javaagent:${version}`,
        scratch,
        path.join(logDir, `maven-otel-javaagent-${version}.log`),
      ),
    ).then(() => path.join(dir, `opentelemetry-javaagent-${version}.jar`));
    agents.set(version, jar);
  }
  return jar;
}

export interface JavaShopOptions {
  /** OTLP exporter protocol of the agent. */
  protocol: 'http/protobuf' | 'grpc';
  /** The OTLP endpoint: the base URL (http://127.0.0.1:4318 or, for grpc, http://127.0.0.1:4317). */
  endpoint: string;
  brokers: string;
  /** Prefix of the topics and groups (`<prefix>orders`, `<prefix>completions`, `<prefix>payments.dlq`). */
  prefix: string;
  orders: number;
  /** Every n-th order is poison and goes to the payments group's DLQ (0: none). */
  poisonEvery: number;
  serviceName: string;
  /** More -D system properties for the agent (e.g. otel.semconv-stability.opt-in). */
  properties?: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

export interface JavaShopOrder {
  orderId: string;
  placedEventId: string;
  completedEventId: string | null;
  poison: boolean;
}

export interface JavaShop {
  orders: JavaShopOrder[];
  stderr: string;
}

const SOURCE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'java', 'EventscopeJavaShop.java');
let kafkaJars: Promise<void> | undefined;

/** Runs the shop once under the agent; resolves when the JVM exited (the agent flushes its spans on exit). */
export async function runJavaShop(o: JavaShopOptions): Promise<JavaShop> {
  const jdk = await requireJava(17, 'the Java agent test');
  await (kafkaJars ??= installKafka(DEFAULT_KAFKA_VERSION));
  const libs = kafkaClasspath(DEFAULT_KAFKA_VERSION);
  const [agent, classes] = await Promise.all([otelJavaAgent(), compileJava(jdk, SOURCE, libs)]);
  mkdirSync(logDir, { recursive: true });
  const props: Record<string, string> = {
    'otel.service.name': o.serviceName,
    'otel.traces.exporter': 'otlp',
    'otel.metrics.exporter': 'none',
    'otel.logs.exporter': 'none',
    'otel.exporter.otlp.protocol': o.protocol,
    'otel.exporter.otlp.endpoint': o.endpoint,
    'otel.bsp.schedule.delay': '200',
    'otel.instrumentation.messaging.experimental.capture-headers': CAPTURE_HEADERS,
    // Only the Kafka instrumentation: the JVM starts in a third of the time.
    'otel.instrumentation.common.default-enabled': 'false',
    'otel.instrumentation.kafka.enabled': 'true',
    ...o.properties,
  };
  const args = [
    `-javaagent:${agent}`,
    ...Object.entries(props).map(([k, v]) => `-D${k}=${v}`),
    '-XX:TieredStopAtLevel=1',
    '-Xshare:auto',
    ...jvmOptions(),
    '-cp',
    `${classes}${path.delimiter}${libs}`,
    'EventscopeJavaShop',
    o.brokers,
    o.prefix,
    String(o.orders),
    String(o.poisonEvery),
  ];
  const { stdout, stderr } = await exec(jdk.java, args, {
    timeout: o.timeoutMs ?? 90_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  const orders: JavaShopOrder[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^ORDER (\S+) (\S+) (\S+) ([01])$/.exec(line.trim());
    if (!m) continue;
    orders.push({
      orderId: m[1] ?? '',
      placedEventId: m[2] ?? '',
      completedEventId: m[3] === '-' ? null : (m[3] ?? null),
      poison: m[4] === '1',
    });
  }
  if (orders.length !== o.orders) {
    throw new Error(`the Java shop reported ${orders.length} of ${o.orders} orders\n${stdout}\n${stderr.slice(-4000)}`);
  }
  return { orders, stderr };
}
