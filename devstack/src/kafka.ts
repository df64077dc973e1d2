import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { DevstackError } from './errors.ts';
import { PORTS } from './ports.ts';
import { jvmOptions, requireJava, resolveKafkaJars } from './java.ts';
import { log } from './log.ts';
import { cacheDir, exists, logDir, runDir } from './paths.ts';
import { isPortOpen, livePid, run, startDaemon, tail, waitFor, type Daemon } from './proc.ts';
import type { Pki } from './tls.ts';

/** Newest Apache Kafka 4.x that resolves from Maven Central here and works with kafkajs. */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

export interface KafkaOptions {
  version: string;
  port: number;
  controllerPort: number;
  /** Wipe the data folder before starting (tests); the demo keeps its data. */
  fresh?: boolean;
  /** Distinguishes data folders, e.g. 'demo' or 'test'. */
  instance?: string;
  /** Cluster id for storage formatted by this start (see `newClusterId`); random otherwise. */
  clusterId?: string;
  startTimeoutMs?: number;
  /** Secured listeners beside PLAINTEXT (tests of SASL and TLS): see `SecureListeners`. */
  secure?: SecureListeners;
}

/**
 * A SASL_SSL listener (PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 over TLS) and an SSL listener that
 * requires a client certificate, both with certificates from `pki`. PLAIN users are fixed at
 * start; SCRAM users are added (and changed) at run time with `setScramCredential`.
 */
export interface SecureListeners {
  saslPort: number;
  mtlsPort: number;
  pki: Pki;
  plainUsers: ReadonlyMap<string, string>;
}

export interface KafkaHandle {
  brokers: string;
  version: string | undefined;
  /** True when this process started the broker and so must stop it. */
  owned: boolean;
  logFile: string;
  /** Bootstrap addresses of the secured listeners, when asked for. */
  secure?: { saslBrokers: string; mtlsBrokers: string };
  stop(): Promise<void>;
}

export function kafkaOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): KafkaOptions {
  return {
    version: env.ES_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION,
    port: intFromEnv(env, 'ES_KAFKA_PORT', PORTS.kafka),
    controllerPort: intFromEnv(env, 'ES_KAFKA_CONTROLLER_PORT', PORTS.kafkaController),
  };
}

export function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0 || value > 65_535) {
    throw new DevstackError('BAD_ARGUMENT', `${name}=${raw} is not a valid port number (1-65535)`);
  }
  return value;
}

function paths(opts: KafkaOptions): {
  libDir: string;
  dataDir: string;
  confDir: string;
  logFile: string;
  pidFile: string;
} {
  const name = `kafka-${opts.version}-${opts.port}${opts.instance ? `-${opts.instance}` : ''}`;
  return {
    libDir: path.join(cacheDir, `kafka-${opts.version}`, 'libs'),
    dataDir: path.join(runDir, name, 'data'),
    confDir: path.join(runDir, name),
    logFile: path.join(logDir, `${name}.log`),
    pidFile: path.join(runDir, `${name}.pid`),
  };
}

/** Asks a broker for cluster metadata; resolves with the broker count, or throws. */
export async function probeKafka(brokers: string, timeoutMs = 3_000): Promise<number> {
  return (await describeKafka(brokers, timeoutMs)).brokers;
}

/** The cluster id a broker reports: it changes when the cluster's data is wiped. */
export async function kafkaClusterId(brokers: string, timeoutMs = 3_000): Promise<string> {
  return (await describeKafka(brokers, timeoutMs)).clusterId;
}

/** A Kafka cluster id (a UUID in URL-safe base64, as StorageTool random-uuid prints one). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka's own generator avoids a leading '-' too
  }
}

/**
 * The cluster id of the broker `ensureKafka(opts)` will run or reuse, when it can be known
 * before starting it: from the broker answering on the port, or from the formatted storage
 * of ours. Undefined for storage that is yet to be formatted (or wiped, with `fresh`).
 */
export async function expectedClusterId(opts: KafkaOptions): Promise<string | undefined> {
  if (await isPortOpen(opts.port)) return kafkaClusterId(`127.0.0.1:${opts.port}`).catch(() => undefined);
  if (opts.fresh) return undefined;
  try {
    const meta = readFileSync(path.join(paths(opts).dataDir, 'meta.properties'), 'utf8');
    return /^cluster\.id=(.+)$/m.exec(meta)?.[1]?.trim();
  } catch {
    return undefined;
  }
}

async function describeKafka(brokers: string, timeoutMs: number): Promise<{ brokers: number; clusterId: string }> {
  const kafka = new Kafka({
    clientId: 'eventscope-devstack',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  // kafkajs can wait far longer than its own timeouts when the peer is not Kafka at all.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no Kafka metadata from ${brokers} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const cluster = await Promise.race([admin.connect().then(() => admin.describeCluster()), deadline]);
    return { brokers: cluster.brokers.length, clusterId: cluster.clusterId };
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

function serverProperties(opts: KafkaOptions, dataDir: string): string {
  const major = Number(opts.version.split('.')[0]);
  const sec = opts.secure;
  const listeners = [`PLAINTEXT://127.0.0.1:${opts.port}`];
  if (sec) listeners.push(`SASL_SSL://127.0.0.1:${sec.saslPort}`, `SSL://127.0.0.1:${sec.mtlsPort}`);
  const lines = [
    '# Written by eventscope devstack: a single-node KRaft cluster (broker and controller in one process).',
    'process.roles=broker,controller',
    'node.id=1',
    `listeners=${[...listeners, `CONTROLLER://127.0.0.1:${opts.controllerPort}`].join(',')}`,
    `advertised.listeners=${listeners.join(',')}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${sec ? ',SASL_SSL:SASL_SSL,SSL:SSL' : ''}`,
    ...(sec ? secureProperties(sec) : []),
    'inter.broker.listener.name=PLAINTEXT',
    major >= 4
      ? `controller.quorum.bootstrap.servers=127.0.0.1:${opts.controllerPort}`
      : `controller.quorum.voters=1@127.0.0.1:${opts.controllerPort}`,
    `log.dirs=${dataDir}`,
    'num.partitions=3',
    'auto.create.topics.enable=true',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Small segments and quick checks so retention-based tests and DLQ depth behave promptly.
    'log.retention.check.interval.ms=10000',
  ];
  return `${lines.join('\n')}\n`;
}

/** Broker settings of the secured listeners (see `SecureListeners`). */
function secureProperties(sec: SecureListeners): string[] {
  const plainUsers = [...sec.plainUsers].map(([user, password]) => ` user_${user}="${password}"`).join('');
  return [
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required${plainUsers};`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.ssl.ssl.client.auth=required',
    'ssl.keystore.type=PEM',
    `ssl.keystore.location=${sec.pki.serverKeystoreFile}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.location=${sec.pki.caFile}`,
  ];
}

/**
 * Adds or changes a SCRAM user (Kafka's `kafka-configs.sh --alter --entity-type users`), through
 * the broker's PLAINTEXT listener; `password` undefined removes the credential.
 */
export async function setScramCredential(
  brokers: string,
  version: string,
  mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512',
  user: string,
  password: string | undefined,
): Promise<void> {
  const jdk = await requireJava(17, `Apache Kafka ${version}'s config tool`);
  const change =
    password === undefined ? ['--delete-config', mechanism] : ['--add-config', `${mechanism}=[password=${password}]`];
  const args = ['--bootstrap-server', brokers, '--alter', ...change, '--entity-type', 'users', '--entity-name', user];
  // The tool moved from the broker's Scala core to kafka-tools during the 4.x line.
  const cp = [...jvmOptions(), '-cp', kafkaClasspath(version)];
  let r = await run(jdk.java, [...cp, 'org.apache.kafka.tools.ConfigCommand', ...args]);
  if (r.code !== 0 && r.stderr.includes('ClassNotFoundException')) {
    r = await run(jdk.java, [...cp, 'kafka.admin.ConfigCommand', ...args]);
  }
  if (r.code !== 0) {
    throw new DevstackError(
      'START_FAILED',
      `setting the ${mechanism} credential of ${user} failed: ${r.stderr.trim().slice(-600)}`,
    );
  }
}

function log4j2Properties(logFile: string): string {
  return [
    'status = warn',
    'appender.file.type = File',
    'appender.file.name = file',
    `appender.file.fileName = ${logFile}`,
    'appender.file.append = true',
    'appender.file.layout.type = PatternLayout',
    'appender.file.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = info',
    'rootLogger.appenderRef.file.ref = file',
    // The state-change and request loggers are very chatty at INFO; keep them to warnings.
    'logger.state.name = state.change.logger',
    'logger.state.level = warn',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = warn',
    '',
  ].join('\n');
}

/** The Java classpath of a resolved Kafka version (for the broker and Kafka's own tools). */
export function kafkaClasspath(version: string): string {
  return path.join(cacheDir, `kafka-${version}`, 'libs', '*');
}

/** Resolves the broker's jars (cached after the first run). */
export async function installKafka(version: string): Promise<void> {
  const { libDir } = paths({ version, port: 0, controllerPort: 0 });
  await resolveKafkaJars(version, libDir, path.join(logDir, `maven-kafka-${version}.log`));
}

/**
 * Makes sure a Kafka broker answers on 127.0.0.1:port. A broker that already answers there
 * (the developer's own, or one left by an earlier run) is reused and left running;
 * otherwise one is started, and `stop()` stops it.
 */
export async function ensureKafka(opts: KafkaOptions): Promise<KafkaHandle> {
  const brokers = `127.0.0.1:${opts.port}`;
  const p = paths(opts);
  if (await isPortOpen(opts.port)) {
    try {
      await probeKafka(brokers);
    } catch (err) {
      throw new DevstackError(
        'PORT_TAKEN',
        `port ${opts.port} is taken by something that does not answer as a Kafka broker; stop it or set ES_KAFKA_PORT to a free port`,
        { cause: err },
      );
    }
    const started = livePid(p.pidFile);
    log(
      started
        ? `reusing the Kafka broker on ${brokers} started by another eventscope command (pid ${started}; if none runs, stop it with: npm run stack -- stop)`
        : `reusing the Kafka broker already running on ${brokers}`,
    );
    return { brokers, version: undefined, owned: false, logFile: p.logFile, stop: () => Promise.resolve() };
  }
  if (await isPortOpen(opts.controllerPort)) {
    throw new DevstackError(
      'PORT_TAKEN',
      `the Kafka controller port ${opts.controllerPort} is taken; stop what listens there or set ES_KAFKA_CONTROLLER_PORT`,
    );
  }
  const jdk = await requireJava(17, `Apache Kafka ${opts.version}`);
  await installKafka(opts.version);
  const classpath = kafkaClasspath(opts.version);

  if (opts.fresh) rmSync(p.dataDir, { recursive: true, force: true });
  mkdirSync(p.dataDir, { recursive: true });
  mkdirSync(path.dirname(p.logFile), { recursive: true });
  const serverFile = path.join(p.confDir, 'server.properties');
  const log4jFile = path.join(p.confDir, 'log4j2.properties');
  writeFileSync(serverFile, serverProperties(opts, p.dataDir));
  writeFileSync(log4jFile, log4j2Properties(p.logFile));
  writeFileSync(p.logFile, '');

  // Format the storage once; meta.properties marks a formatted log dir.
  if (!exists(path.join(p.dataDir, 'meta.properties'))) {
    const major = Number(opts.version.split('.')[0]);
    const clusterId = opts.clusterId ?? newClusterId();
    const args = [...jvmOptions(), '-cp', classpath, `-Dlog4j2.configurationFile=${log4jFile}`];
    args.push('kafka.tools.StorageTool', 'format');
    args.push('-t', clusterId, '-c', serverFile, '--ignore-formatted');
    if (major >= 4) args.push('--standalone');
    const fmt = await run(jdk.java, args);
    if (fmt.code !== 0) {
      throw new DevstackError(
        'START_FAILED',
        `formatting Kafka storage in ${p.dataDir} failed (exit ${fmt.code}): ${(fmt.stderr || fmt.stdout).trim().slice(-800)}`,
        { logFile: p.logFile },
      );
    }
  }

  log(`starting Apache Kafka ${opts.version} on ${brokers} (log: ${p.logFile})`);
  const daemon = startDaemon(
    `kafka-${opts.version}`,
    jdk.java,
    [
      '-Xms256m',
      '-Xmx1g',
      '-XX:+UseG1GC',
      ...jvmOptions(),
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${log4jFile}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      serverFile,
    ],
    { logFile: p.logFile, pidFile: p.pidFile, cwd: p.confDir },
  );
  await waitReady(daemon, brokers, opts.startTimeoutMs ?? 90_000);
  const secure = opts.secure && {
    saslBrokers: `127.0.0.1:${opts.secure.saslPort}`,
    mtlsBrokers: `127.0.0.1:${opts.secure.mtlsPort}`,
  };
  return { brokers, version: opts.version, owned: true, logFile: p.logFile, secure, stop: () => daemon.stop() };
}

async function waitReady(daemon: Daemon, brokers: string, timeoutMs: number): Promise<void> {
  try {
    await waitFor(`Kafka broker ${brokers}`, () => probeKafka(brokers, 1_000).then((n) => (n > 0 ? n : undefined)), {
      timeoutMs,
      intervalMs: 300,
      abort: () => daemon.exitStatus() && `the broker process ${daemon.exitStatus()}`,
    });
  } catch (err) {
    await daemon.stop(5_000);
    const message = err instanceof Error ? err.message : String(err);
    throw new DevstackError(
      'START_FAILED',
      `${message}\nlast lines of ${daemon.logFile}:\n${tail(daemon.logFile, 30)}`,
      {
        cause: err,
        logFile: daemon.logFile,
      },
    );
  }
}
