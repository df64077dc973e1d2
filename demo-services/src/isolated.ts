/**
 * A demo that shares a broker and a registry with others without touching them: its topics,
 * consumer groups and registry subjects all start with a prefix of its own, its state lives in
 * a data dir of its own, and `deletePrefixed` removes what it made. The collector's, the
 * dashboard's, Grafana's and the benchmarks' tests run one each on the shared dev stack.
 */
import { Kafka, logLevel } from 'kafkajs';
import { startDemo, type RunningDemo } from './run-all.ts';
import type { ChildOptions } from './supervisor.ts';

export interface IsolatedDemoOptions {
  /** Topics, groups and subjects start with it (e.g. `t-e2e-xyz.`). */
  prefix: string;
  /** The services' own state (outbox databases, processed-event tables). */
  dataDir: string;
  brokers: string;
  registryUrl: string;
  /** OTLP/HTTP base URL the services export spans to; none: the SDK's default endpoint. */
  otlpEndpoint?: string;
  /** DEMO_TRACING (default on). */
  tracing?: boolean;
  loadgenArgs?: string[];
  withLoadgen?: boolean;
  summaryFile?: string;
  output?: ChildOptions['output'];
  /** More environment for every child (it wins over the above). */
  env?: NodeJS.ProcessEnv;
}

/** The children's environment for an isolated demo (the order service on a free loopback port, quiet logs). */
export function isolatedDemoEnv(o: IsolatedDemoOptions): NodeJS.ProcessEnv {
  return {
    KAFKA_BROKERS: o.brokers,
    SCHEMA_REGISTRY_URL: o.registryUrl,
    DEMO_TOPIC_PREFIX: o.prefix,
    DEMO_DATA_DIR: o.dataDir,
    ORDER_HOST: '127.0.0.1',
    ORDER_PORT: '0',
    DEMO_LOG_LEVEL: 'warn',
    DEMO_TRACING: o.tracing === false ? 'off' : 'on',
    ...(o.otlpEndpoint !== undefined ? { OTEL_EXPORTER_OTLP_ENDPOINT: o.otlpEndpoint } : {}),
    ...o.env,
  };
}

/** startDemo with isolatedDemoEnv. */
export function startIsolatedDemo(o: IsolatedDemoOptions): Promise<RunningDemo> {
  return startDemo({
    env: isolatedDemoEnv(o),
    ...(o.loadgenArgs !== undefined ? { loadgenArgs: o.loadgenArgs } : {}),
    ...(o.withLoadgen !== undefined ? { withLoadgen: o.withLoadgen } : {}),
    ...(o.summaryFile !== undefined ? { summaryFile: o.summaryFile } : {}),
    ...(o.output !== undefined ? { output: o.output } : {}),
  });
}

/**
 * Deletes the topics, consumer groups and registry subjects whose names start with `prefix`,
 * until none is left or `timeoutMs` passes (a topic deleted while a client still asks for its
 * metadata can be auto-created again). Throws naming what is left; the subjects are tidiness
 * and never fail it.
 */
export async function deletePrefixed(o: {
  prefix: string;
  brokers: string;
  registryUrl: string;
  timeoutMs?: number;
}): Promise<void> {
  const kafka = new Kafka({
    clientId: 'eventscope-demo-cleanup',
    brokers: o.brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  try {
    for (;;) {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(o.prefix));
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(o.prefix));
      if (topics.length === 0 && groups.length === 0) break;
      if (Date.now() > deadline) {
        throw new Error(
          `still there after cleanup of ${o.prefix}: topics ${topics.join(', ')}; groups ${groups.join(', ')}`,
        );
      }
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
      if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await admin.disconnect();
  }
  const res = await fetch(`${o.registryUrl}/subjects`).catch(() => undefined);
  if (!res?.ok) return;
  const subjects = ((await res.json()) as string[]).filter((s) => s.startsWith(o.prefix));
  for (const s of subjects) {
    const url = `${o.registryUrl}/subjects/${encodeURIComponent(s)}`;
    await fetch(url, { method: 'DELETE' }).catch(() => undefined);
    await fetch(`${url}?permanent=true`, { method: 'DELETE' }).catch(() => undefined);
  }
}
