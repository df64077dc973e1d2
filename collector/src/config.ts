/**
 * The collector's configuration: one table of keys, parsed once at startup from a JSON file
 * (EVENTSCOPE_CONFIG_FILE) and the environment (which wins), with defaults applied, unknown
 * keys rejected, and the result frozen. docs/configuration.md is generated from this table
 * (test/config.test.ts fails when it is stale).
 *
 * Over 600 lines on purpose: most of it is the table, one entry per key with its doc, read
 * top to bottom like the reference it generates; splitting it would scatter the keys.
 */
import { readFileSync } from 'node:fs';
import { CollectorError } from './errors.ts';
import { dict } from './lib/safe-map.ts';
import { checkOidcConfig } from './auth/oidc-config.ts';
import {
  DEFAULT_COMPENSATION_TYPES,
  DEFAULT_ENVELOPE_HEADERS,
  DEFAULT_SAGA_TERMINAL_TYPES,
  SAGA_OUTCOMES,
} from '@eventscope/contract';
import { checkTokenEntries, checkTokenValue } from './auth/tokens.ts';
import { parseFieldPath } from './masking/paths.ts';
import { CLUSTER_NAME_PATTERN, checkClusterSpecs, type ClusterSpec } from './kafka/cluster-config.ts';
import { DEFAULT_HEAP_MB } from './node-flags.ts';

/** `clusters`: a JSON array of cluster entries (kafka/cluster-config.ts), a real array in the config file. */
type Kind = 'string' | 'int' | 'bool' | 'enum' | 'list' | 'clusters';

/** A key's parsed value. */
type Value<K extends Kind> = K extends 'int'
  ? number
  : K extends 'bool'
    ? boolean
    : K extends 'list'
      ? string[]
      : K extends 'clusters'
        ? readonly ClusterSpec[]
        : string;
/** What a key's default may be: a string (or enum) key may have none, and is then unset unless configured. */
type Default<K extends Kind> = K extends 'string' | 'enum' ? string | undefined : Value<K>;

interface KeySpec<K extends Kind = Kind, D extends Default<K> = Default<K>> {
  env: string;
  kind: K;
  default: D;
  doc: string;
  values?: readonly string[];
  min?: number;
  max?: number;
  secret?: boolean;
  /** Further checks of a parsed value: returns what is wrong, or undefined. */
  check?: (value: never) => string | undefined;
}

const spec = <K extends Kind, D extends Default<K>>(s: KeySpec<K, D>): KeySpec<K, D> => s;

/** Kafka header names as a config list takes them: printable ASCII without spaces. */
const checkHeaderNames = (value: string[]): string | undefined => {
  const bad = value.find((h) => !/^[\x21-\x7e]{1,249}$/.test(h));
  return bad === undefined
    ? undefined
    : `header name ${JSON.stringify(bad)} must be 1-249 printable ASCII characters without spaces`;
};

/** A list of Kafka header names read as one envelope field from captured headers (`messaging.header.<name>`). */
const headerList = (env: string, defaults: string[], what: string): KeySpec<'list'> =>
  spec({
    env,
    kind: 'list',
    default: defaults,
    check: checkHeaderNames,
    doc: `Record headers whose value is the ${what}, first found wins, comma-separated. Read from the headers an instrumentation captures as span attributes (\`messaging.header.<name>\`, dashes or underscores, any case) and, for the event and correlation ids, by the tap.`,
  });

export const CONFIG_KEYS = {
  host: spec({
    env: 'EVENTSCOPE_HOST',
    kind: 'string',
    default: '127.0.0.1',
    doc: 'Address the listeners (HTTP and OTLP/gRPC) bind to. Keep 127.0.0.1 unless a proxy or token protects the API.',
  }),
  port: spec({
    env: 'EVENTSCOPE_PORT',
    kind: 'int',
    default: 8080,
    min: 0,
    max: 65535,
    doc: 'Main port: API, dashboard, /metrics, /docs, and OTLP/HTTP at /v1/traces.',
  }),
  otlpPort: spec({
    env: 'EVENTSCOPE_OTLP_PORT',
    kind: 'int',
    default: 4318,
    min: 0,
    max: 65535,
    doc: 'Second port serving only OTLP/HTTP (/v1/traces), the standard 4318. 0 picks a free port.',
  }),
  otlpGrpcPort: spec({
    env: 'EVENTSCOPE_OTLP_GRPC_PORT',
    kind: 'int',
    default: 4317,
    min: 0,
    max: 65535,
    doc: 'Port of the OTLP/gRPC trace receiver (TraceService/Export), the standard 4317, on `host`; same limits, ingest token (`authorization` metadata) and intake queue as OTLP/HTTP. 0 turns it off.',
  }),
  kafkaBrokers: spec({
    env: 'KAFKA_BROKERS',
    kind: 'list',
    default: ['127.0.0.1:9092'],
    doc: 'Comma-separated Kafka bootstrap servers.',
  }),
  kafkaClusterName: spec({
    env: 'EVENTSCOPE_KAFKA_CLUSTER_NAME',
    kind: 'string',
    default: 'default',
    check: (value: string) =>
      new RegExp(CLUSTER_NAME_PATTERN).test(value) ? undefined : `must match ${CLUSTER_NAME_PATTERN}`,
    doc: 'Name of the primary cluster, the one the other `kafka*` keys describe: the `cluster` label of its metrics, its `?cluster=` in the API (the default there, DLQ views and redrive included), and the cluster the tap and OTLP-in-Kafka receiver use. See docs/clusters.md.',
  }),
  kafkaClusters: spec({
    env: 'EVENTSCOPE_KAFKA_CLUSTERS',
    kind: 'clusters',
    default: [],
    doc: 'Further clusters to monitor for lag and DLQs (docs/clusters.md): a JSON array (in the environment, JSON text) of `{"name", "brokers": ["host:port"], "tls"?, "tlsCaFile"?, "tlsCertFile"?, "tlsKeyFile"?, "saslMechanism"?, "saslUsername"?, "saslPassword"?, "saslPasswordFile"?, "clientId"?}`, the settings meaning what the `kafka*` keys of the same name do (unset: no TLS, no SASL, `kafkaClientId`). Names unique, `[A-Za-z0-9._-]`, 1-64 characters, not the primary\'s; unknown keys are refused. Passwords are masked in logs.',
  }),
  kafkaClientId: spec({
    env: 'EVENTSCOPE_KAFKA_CLIENT_ID',
    kind: 'string',
    default: 'eventscope-collector',
    doc: 'Client id the collector uses towards Kafka.',
  }),
  kafkaTls: spec({
    env: 'EVENTSCOPE_KAFKA_TLS',
    kind: 'bool',
    default: false,
    doc: "Connect to Kafka over TLS (the broker's SSL or SASL_SSL listener); the server's certificate is verified against `kafkaTlsCaFile`, else the system's CAs, and its name against the bootstrap host.",
  }),
  kafkaTlsCaFile: spec({
    env: 'EVENTSCOPE_KAFKA_TLS_CA_FILE',
    kind: 'string',
    default: undefined,
    doc: "PEM file of the CA certificates that sign the brokers' certificates (with `kafkaTls`). Unset: the system's CAs.",
  }),
  kafkaTlsCertFile: spec({
    env: 'EVENTSCOPE_KAFKA_TLS_CERT_FILE',
    kind: 'string',
    default: undefined,
    doc: 'PEM client certificate for mutual TLS (with `kafkaTls` and `kafkaTlsKeyFile`).',
  }),
  kafkaTlsKeyFile: spec({
    env: 'EVENTSCOPE_KAFKA_TLS_KEY_FILE',
    kind: 'string',
    default: undefined,
    doc: 'PEM private key (unencrypted) of `kafkaTlsCertFile`.',
  }),
  kafkaSaslMechanism: spec({
    env: 'EVENTSCOPE_KAFKA_SASL_MECHANISM',
    kind: 'enum',
    values: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'],
    default: undefined,
    doc: 'SASL mechanism towards Kafka. Unset: no SASL. Use it with `kafkaTls` (SASL_SSL); PLAIN without TLS sends the password in clear.',
  }),
  kafkaSaslUsername: spec({
    env: 'EVENTSCOPE_KAFKA_SASL_USERNAME',
    kind: 'string',
    default: undefined,
    doc: 'SASL user name (with `kafkaSaslMechanism`).',
  }),
  kafkaSaslPassword: spec({
    env: 'EVENTSCOPE_KAFKA_SASL_PASSWORD',
    kind: 'string',
    default: undefined,
    secret: true,
    doc: 'SASL password. Prefer `kafkaSaslPasswordFile`.',
  }),
  kafkaSaslPasswordFile: spec({
    env: 'EVENTSCOPE_KAFKA_SASL_PASSWORD_FILE',
    kind: 'string',
    default: undefined,
    doc: 'File holding the SASL password (trailing newline ignored), read again at every authentication, so a rotated password is picked up without a restart.',
  }),
  schemaRegistryUrl: spec({
    env: 'SCHEMA_REGISTRY_URL',
    kind: 'string',
    default: undefined,
    doc: 'Confluent-compatible schema registry URL, used to decode Avro payloads of DLQ records. Unset: payloads are shown as bytes.',
  }),
  dataDir: spec({
    env: 'EVENTSCOPE_DATA_DIR',
    kind: 'string',
    default: '.eventscope/collector',
    doc: 'Folder of the embedded store (SQLite) and the persisted offset-time tables.',
  }),
  store: spec({
    env: 'EVENTSCOPE_STORE',
    kind: 'enum',
    values: ['sqlite', 'postgres'],
    default: 'sqlite',
    doc: 'Storage engine: `sqlite`, one SQLite file in `dataDir`; `postgres`, the PostgreSQL database of `postgresUrl` (several collectors can share it; see docs/postgres.md).',
  }),
  postgresUrl: spec({
    env: 'EVENTSCOPE_POSTGRES_URL',
    kind: 'string',
    default: 'postgres://postgres@127.0.0.1:5432/eventscope',
    secret: true,
    doc: 'PostgreSQL connection URL of the store (with `store: postgres`); the database must exist, the collector creates and migrates its tables. Masked in logs (it may hold a password).',
  }),
  postgresPoolSize: spec({
    env: 'EVENTSCOPE_POSTGRES_POOL_SIZE',
    kind: 'int',
    default: 8,
    min: 1,
    max: 100,
    doc: 'Connections the collector keeps to PostgreSQL (with `store: postgres`): ingest takes one at a time, API reads the rest.',
  }),
  postgresPartitionRows: spec({
    env: 'EVENTSCOPE_POSTGRES_PARTITION_ROWS',
    kind: 'int',
    default: 250000,
    min: 100,
    doc: 'Rows per partition of the PostgreSQL hop tables (publishes, deliveries, records; about 100 MB at the default). Retention drops whole partitions, so it is also the granularity of retention. Fixed per partition: a change applies to partitions created afterwards.',
  }),
  postgresPartitionSeconds: spec({
    env: 'EVENTSCOPE_POSTGRES_PARTITION_SECONDS',
    kind: 'int',
    default: 86400,
    min: 60,
    doc: 'Ingest time one partition of the PostgreSQL hop tables spans at most: a partition is closed at `postgresPartitionRows` rows or this many seconds after its first row, whichever comes first, so at a low ingest rate retention by age still drops rows at most this long after they pass `retentionHours` (docs/adr/0006).',
  }),
  retentionHours: spec({
    env: 'EVENTSCOPE_RETENTION_HOURS',
    kind: 'int',
    default: 168,
    min: 1,
    doc: 'Stored flows older than this are deleted.',
  }),
  retentionMaxMb: spec({
    env: 'EVENTSCOPE_RETENTION_MAX_MB',
    kind: 'int',
    default: 2048,
    min: 16,
    doc: 'The oldest flows are deleted while the store is larger than this.',
  }),
  storeCacheMb: spec({
    env: 'EVENTSCOPE_STORE_CACHE_MB',
    kind: 'int',
    default: 16,
    min: 1,
    doc: "SQLite's page cache per store connection, in MB (the store has two: the writer thread's and the reader's). Part of the collector's memory; a larger cache helps lookups on a large store.",
  }),
  pollIntervalMs: spec({
    env: 'EVENTSCOPE_POLL_INTERVAL_MS',
    kind: 'int',
    default: 5000,
    min: 200,
    doc: 'Interval of the Kafka lag and DLQ poll.',
  }),
  pollDeadlineMs: spec({
    env: 'EVENTSCOPE_POLL_DEADLINE_MS',
    kind: 'int',
    default: 30000,
    min: 100,
    doc: 'A Kafka poll cycle still running after this long is abandoned (counted as a `deadline` poll error); the previous snapshot stays and the next cycle starts on schedule.',
  }),
  pollConcurrency: spec({
    env: 'EVENTSCOPE_POLL_CONCURRENCY',
    kind: 'int',
    default: 8,
    min: 1,
    max: 256,
    doc: 'Admin requests in flight at once during a poll.',
  }),
  dlqPattern: spec({
    env: 'EVENTSCOPE_DLQ_PATTERN',
    kind: 'string',
    default: '*.dlq',
    doc: 'Glob (with *) matching dead-letter topics.',
  }),
  groupsInclude: spec({
    env: 'EVENTSCOPE_GROUPS_INCLUDE',
    kind: 'string',
    default: '*',
    doc: 'Glob of consumer groups to monitor.',
  }),
  groupsExclude: spec({
    env: 'EVENTSCOPE_GROUPS_EXCLUDE',
    kind: 'string',
    default: 'eventscope-*',
    doc: "Glob of consumer groups to leave out (the collector's own tap by default).",
  }),
  lagTolerance: spec({
    env: 'EVENTSCOPE_LAG_TOLERANCE',
    kind: 'int',
    default: 10,
    min: 0,
    doc: 'Lag in messages at or below which a partition counts as caught up.',
  }),
  lagBudgetSeconds: spec({
    env: 'EVENTSCOPE_LAG_BUDGET_SECONDS',
    kind: 'int',
    default: 10,
    min: 1,
    max: 604800,
    doc: 'Time lag in seconds a partition may have before its status is at least WARN (behind), whatever the trend; exported as eventscope_consumergroup_lag_budget_seconds for the lag alert.',
  }),
  statusWindow: spec({
    env: 'EVENTSCOPE_STATUS_WINDOW',
    kind: 'int',
    default: 10,
    min: 2,
    max: 1000,
    doc: 'Offset samples per partition the status rules look at (Burrow-style window).',
  }),
  recordReadsPerCycle: spec({
    env: 'EVENTSCOPE_RECORD_READS_PER_CYCLE',
    kind: 'int',
    default: 200,
    min: 0,
    max: 100000,
    doc: 'Records read per poll cycle for time lag (the record at the committed offset of a lagging partition, most lagging first); the other lagging partitions use the offset/time table. 0: table only.',
  }),
  dlqLatestRecords: spec({
    env: 'EVENTSCOPE_DLQ_LATEST_RECORDS',
    kind: 'int',
    default: 20,
    min: 1,
    max: 1000,
    doc: 'Latest records kept per DLQ (with their error headers) for the DLQ API and dashboard.',
  }),
  dlqCausesMax: spec({
    env: 'EVENTSCOPE_DLQ_CAUSES_MAX',
    kind: 'int',
    default: 1000,
    min: 1,
    max: 100_000,
    doc: 'Distinct DLQ causes (DLQ topic, error class, message fingerprint) tracked for triage, per Kafka cluster; records of further causes are counted as untracked (`eventscope_dlq_cause_records_untracked_total`).',
  }),
  maskFields: spec({
    env: 'EVENTSCOPE_MASK_FIELDS',
    kind: 'list',
    default: [],
    check: (value: string[]) => {
      for (const p of value) {
        const steps = parseFieldPath(p);
        if (typeof steps === 'string') return steps;
      }
      return undefined;
    },
    doc: 'Payload fields shown as `"***"` in every record view (DLQ records, DLQ cause samples, redrive dry runs), comma-separated JSON paths: `$.card.number`, `$.items[*].email`, `$[\'odd key\']`. Applied to decoded values (Avro, JSON); a value not decoded (plain text, bytes) is shown as it is, one over 64 KiB (shown truncated) as `"***"`. An operator may add `?unmask=true` (audited).',
  }),
  maskHeaders: spec({
    env: 'EVENTSCOPE_MASK_HEADERS',
    kind: 'list',
    default: [],
    check: checkHeaderNames,
    doc: 'Record headers shown as `"***"` in every record view, any case, comma-separated (e.g. `email,authorization`); a `dlq-*` or envelope header also masks what is read from it (the record field; the DLQ groups and error classes; a cause class, template, sample message, topics and groups, and the `error_class` metric label). An operator may add `?unmask=true` (audited).',
  }),
  perPartitionMetrics: spec({
    env: 'EVENTSCOPE_PER_PARTITION_METRICS',
    kind: 'bool',
    default: false,
    doc: 'Also export per-partition lag series (more cardinality).',
  }),
  tapTopics: spec({
    env: 'EVENTSCOPE_TAP_TOPICS',
    kind: 'list',
    default: [],
    doc: 'Topics of the primary Kafka cluster the optional tap reads headers from (offset <-> event id mapping). Empty: tap off.',
  }),
  otlpKafkaTopics: spec({
    env: 'EVENTSCOPE_OTLP_KAFKA_TOPICS',
    kind: 'list',
    default: [],
    doc: "Topics of OTLP trace exports to consume, each record's value one `ExportTraceServiceRequest` in protobuf (the OpenTelemetry Collector's Kafka exporter with `encoding: otlp_proto`). Collectors sharing `otlpKafkaGroup` share the partitions; offsets are committed once the store has the spans. Empty: off.",
  }),
  otlpKafkaGroup: spec({
    env: 'EVENTSCOPE_OTLP_KAFKA_GROUP',
    kind: 'string',
    default: 'eventscope-otlp',
    check: (value: string) => (value.length > 0 && value.length <= 249 ? undefined : 'must be 1-249 characters'),
    doc: 'Consumer group of the OTLP-in-Kafka receiver (`otlpKafkaTopics`).',
  }),
  monitorElection: spec({
    env: 'EVENTSCOPE_MONITOR_ELECTION',
    kind: 'enum',
    default: 'off',
    values: ['off', 'kafka'],
    doc: 'How collectors sharing a Kafka cluster pick the one that polls it. `off`: this collector always polls. `kafka`: the member of the consumer group `monitorLeaseTopic` assigned partition 0 of that 1-partition topic (created if missing) polls; when it dies another takes over after its session expires (the poll interval, at least 6 s: the broker minimum).',
  }),
  monitorLeaseTopic: spec({
    env: 'EVENTSCOPE_MONITOR_LEASE_TOPIC',
    kind: 'string',
    default: 'eventscope-monitor-lease',
    check: (value: string) =>
      /^[a-zA-Z0-9._-]{1,249}$/.test(value) ? undefined : 'must be a Kafka topic name ([a-zA-Z0-9._-], 1-249)',
    doc: 'Lease topic and consumer group of `monitorElection: kafka`; collectors monitoring the same cluster use the same name.',
  }),
  sagaTerminalTypes: spec({
    env: 'EVENTSCOPE_SAGA_TERMINAL_TYPES',
    kind: 'list',
    default: [...DEFAULT_SAGA_TERMINAL_TYPES].map(([type, outcome]) => `${type}=${outcome}`),
    check: (value: string[]) => {
      for (const entry of value) {
        const m = /^([^=\s]+)=(.*)$/.exec(entry);
        if (!m) return `entry ${JSON.stringify(entry)} is not event-type=outcome`;
        if (!SAGA_OUTCOMES.includes(m[2] as (typeof SAGA_OUTCOMES)[number])) {
          return `entry ${JSON.stringify(entry)}: outcome must be one of ${SAGA_OUTCOMES.join(', ')}`;
        }
      }
      return undefined;
    },
    doc: "Event types that end a saga when a group has processed one, as `event-type=outcome` (outcome: completed, failed or compensated; `failed` reads as compensated when compensations ran), comma-separated. The default is the demo's.",
  }),
  sagaCompensationTypes: spec({
    env: 'EVENTSCOPE_SAGA_COMPENSATION_TYPES',
    kind: 'list',
    default: [...DEFAULT_COMPENSATION_TYPES],
    check: (value: string[]) =>
      value.find((g) => /\s|=|,/.test(g)) !== undefined
        ? `glob ${JSON.stringify(value.find((g) => /\s|=|,/.test(g)))} may not hold spaces or '='`
        : undefined,
    doc: 'Globs (`*` wildcard) of event types that are compensation steps, comma-separated.',
  }),
  envelopeEventIdHeaders: headerList(
    'EVENTSCOPE_ENVELOPE_EVENT_ID_HEADERS',
    [...DEFAULT_ENVELOPE_HEADERS.eventId],
    'event id',
  ),
  envelopeEventTypeHeaders: headerList(
    'EVENTSCOPE_ENVELOPE_EVENT_TYPE_HEADERS',
    [...DEFAULT_ENVELOPE_HEADERS.eventType],
    'event type',
  ),
  envelopeCorrelationIdHeaders: headerList(
    'EVENTSCOPE_ENVELOPE_CORRELATION_ID_HEADERS',
    [...DEFAULT_ENVELOPE_HEADERS.correlationId],
    "correlation id (saga), e.g. add `X-Correlation-ID` or Spring's `kafka_correlationId`",
  ),
  envelopeCausationIdHeaders: headerList(
    'EVENTSCOPE_ENVELOPE_CAUSATION_ID_HEADERS',
    [...DEFAULT_ENVELOPE_HEADERS.causationId],
    'causation id',
  ),
  auditGraceMs: spec({
    env: 'EVENTSCOPE_AUDIT_GRACE_MS',
    kind: 'int',
    default: 30000,
    min: 0,
    doc: 'The loss audit reports a record a group committed past without a delivery only this long after the record was seen (time for late spans). Also how long an ended saga waits for the span of its first event before its end is counted in the metrics.',
  }),
  auditDecideMs: spec({
    env: 'EVENTSCOPE_AUDIT_DECIDE_MS',
    kind: 'int',
    default: 120000,
    min: 0,
    doc: 'After the grace period, how long the loss audit waits for evidence that a record without a delivery span was processed (an event it caused, a late span) before it calls the record skipped: at least how far the consumers of the caused events may lag.',
  }),
  auditGroupEndMs: spec({
    env: 'EVENTSCOPE_AUDIT_GROUP_END_MS',
    kind: 'int',
    default: 600000,
    min: 0,
    doc: 'A group without members, or gone from the lag snapshot (deleted, no committed offsets), for this long has ended: the loss audit makes no findings for it any more and closes its open ones as unknown (`group-ended`).',
  }),
  stuckAfterMs: spec({
    env: 'EVENTSCOPE_STUCK_AFTER_MS',
    kind: 'int',
    default: 60000,
    min: 1000,
    doc: 'A saga with no progress for this long is reported as stuck.',
  }),
  bodyLimitBytes: spec({
    env: 'EVENTSCOPE_BODY_LIMIT_BYTES',
    kind: 'int',
    default: 8388608,
    min: 1024,
    doc: 'Largest accepted OTLP request body (after decompression); larger is 413.',
  }),
  intakeQueueSpans: spec({
    env: 'EVENTSCOPE_INTAKE_QUEUE_SPANS',
    kind: 'int',
    default: 25000,
    min: 100,
    doc: 'Spans waiting to be stored before OTLP requests are refused with 503 and Retry-After (exporters retry). A queued span takes about 3 KB, so the default bounds the queue near 75 MB.',
  }),
  heapMb: spec({
    env: 'EVENTSCOPE_HEAP_MB',
    kind: 'int',
    default: DEFAULT_HEAP_MB,
    min: 128,
    max: 65536,
    doc: "Old-generation limit of the collector's V8 heap in MB (`--max-old-space-size`), passed by the launcher `src/start.ts` (`npm start -w collector`, the bin, the Docker image, docker-compose, the helm chart) when it starts the server; it wins over one in `NODE_OPTIONS`. A hard limit: past it the process dies out of memory. The default fits about 200,000 group-partitions of the Kafka monitor (over all clusters) next to the default intake queue; give it about 1.2 MB more per 1,000 group-partitions beyond that (an estimate, docs/scale.md), and more with a larger `intakeQueueSpans`. The limit in effect is logged at start (`heapLimitMb`); a server started without the launcher warns that it does not have it.",
  }),
  spanMaxFutureSeconds: spec({
    env: 'EVENTSCOPE_SPAN_MAX_FUTURE_SECONDS',
    kind: 'int',
    default: 86400,
    min: 1,
    doc: 'OTLP spans that end more than this after the collector\'s clock, or start before the retention (`retentionHours`), are rejected (partialSuccess, `eventscope_spans_rejected_total{reason="time_window"}`): a span dated in the year 2500 stayed in flight at the top of the saga list forever.',
  }),
  apiToken: spec({
    env: 'EVENTSCOPE_API_TOKEN',
    kind: 'string',
    default: undefined,
    secret: true,
    doc: 'An operator token (named `api-token`), kept for compatibility: the same as an `api-token:operator:<token>` entry in `tokens`.',
  }),
  tokens: spec({
    env: 'EVENTSCOPE_TOKENS',
    kind: 'list',
    default: [],
    secret: true,
    check: (value: string[]) => checkTokenEntries(value),
    doc: 'Bearer tokens for the API, /docs, /metrics and SSE, comma-separated `name:role:token` entries; role `viewer` (reads) or `operator` (reads and changes state, sends OTLP). The name is what the audit log shows. Tokens: at least 16 characters, no spaces or commas. Setting any token (or SSO) turns auth on: every route but the health probes, the dashboard files and /auth/ then needs one.',
  }),
  ingestToken: spec({
    env: 'EVENTSCOPE_INGEST_TOKEN',
    kind: 'string',
    default: undefined,
    secret: true,
    check: (value: string) => checkTokenValue(value),
    doc: 'Bearer token for OTLP intake (/v1/traces on both ports) only, e.g. `OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20<token>`. With auth on and this unset, OTLP needs an operator token. Needs `tokens`, `apiToken` or SSO.',
  }),
  metricsToken: spec({
    env: 'EVENTSCOPE_METRICS_TOKEN',
    kind: 'string',
    default: undefined,
    secret: true,
    check: (value: string) => checkTokenValue(value),
    doc: "Bearer token for GET /metrics only (Prometheus's `authorization` / `bearer_token_file` scrape setting). Viewer and operator tokens also read /metrics. Needs `tokens`, `apiToken` or SSO.",
  }),
  allowedHosts: spec({
    env: 'EVENTSCOPE_ALLOWED_HOSTS',
    kind: 'list',
    default: [],
    check: (value: string[]) =>
      value.find((h) => !/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/i.test(h)) === undefined
        ? undefined
        : `${JSON.stringify(value.find((h) => !/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/i.test(h)))} is not a host name (no scheme, port or path)`,
    doc: 'Host names (no port) the collector answers besides localhost, 127.0.0.1 and [::1], comma-separated. On a loopback bind every other `Host` is refused (403 HOST_REFUSED, against DNS rebinding); on another bind the check applies once this is set. Health probes are exempt.',
  }),
  allowedOrigins: spec({
    env: 'EVENTSCOPE_ALLOWED_ORIGINS',
    kind: 'list',
    default: [],
    check: (value: string[]) =>
      value.find((o) => !/^https?:\/\/[^/?#\s]+$/.test(o)) === undefined
        ? undefined
        : `${JSON.stringify(value.find((o) => !/^https?:\/\/[^/?#\s]+$/.test(o)))} is not an origin (scheme://host[:port], no path)`,
    doc: "Origins besides the collector's own allowed to send state changes (POST, PUT, DELETE), comma-separated `scheme://host[:port]`. Others are refused (403 ORIGIN_REFUSED, against cross-site request forgery).",
  }),
  publicUrl: spec({
    env: 'EVENTSCOPE_PUBLIC_URL',
    kind: 'string',
    default: undefined,
    check: (value: string) =>
      /^https?:\/\/[^/?#]+\/?$/.test(value) ? undefined : 'expected http(s)://host[:port] (no path)',
    doc: 'Base URL browsers reach the collector at, e.g. `https://eventscope.example.com`. Required with SSO: the redirect URI is `<publicUrl>/auth/callback`; https makes the session cookies `Secure`.',
  }),
  oidcIssuerUrl: spec({
    env: 'EVENTSCOPE_OIDC_ISSUER_URL',
    kind: 'string',
    default: undefined,
    doc: 'OpenID Connect issuer for dashboard single sign-on (e.g. `https://keycloak.example.com/realms/ops`); its `/.well-known/openid-configuration` is read on the first sign-in. Setting it turns SSO on and needs `oidcClientId`, `publicUrl` and `sessionSecret`.',
  }),
  oidcClientId: spec({
    env: 'EVENTSCOPE_OIDC_CLIENT_ID',
    kind: 'string',
    default: undefined,
    doc: 'Client id of the collector at the OpenID provider (authorization code flow with PKCE).',
  }),
  oidcClientSecret: spec({
    env: 'EVENTSCOPE_OIDC_CLIENT_SECRET',
    kind: 'string',
    default: undefined,
    secret: true,
    doc: 'Client secret (sent with HTTP Basic to the token endpoint). Unset: a public client, PKCE only.',
  }),
  oidcScopes: spec({
    env: 'EVENTSCOPE_OIDC_SCOPES',
    kind: 'list',
    default: ['openid', 'profile'],
    check: (value: string[]) => (value.includes('openid') ? undefined : 'must include openid'),
    doc: 'Scopes asked for at sign-in, comma-separated; add the scope that releases the role claim if the provider needs one (e.g. `roles`, `groups`).',
  }),
  oidcRoleClaim: spec({
    env: 'EVENTSCOPE_OIDC_ROLE_CLAIM',
    kind: 'string',
    default: 'roles',
    doc: "Claim holding the user's roles or groups (a string or a list of strings), read from the ID token, else from UserInfo. A dotted path reaches into objects, e.g. `realm_access.roles` (Keycloak) or `groups`.",
  }),
  oidcOperatorValues: spec({
    env: 'EVENTSCOPE_OIDC_OPERATOR_VALUES',
    kind: 'list',
    default: ['eventscope-operator'],
    doc: 'Role-claim values that make a user an operator (reads and changes: DLQ marks, redrives), comma-separated.',
  }),
  oidcViewerValues: spec({
    env: 'EVENTSCOPE_OIDC_VIEWER_VALUES',
    kind: 'list',
    default: ['eventscope-viewer'],
    doc: 'Role-claim values that make a user a viewer (reads only), comma-separated. A user with neither role is refused (403), no session.',
  }),
  sessionSecret: spec({
    env: 'EVENTSCOPE_SESSION_SECRET',
    kind: 'string',
    default: undefined,
    secret: true,
    check: (value: string) =>
      value.length >= 32 ? undefined : 'must be at least 32 characters (e.g. `openssl rand -base64 48`)',
    doc: 'Key material for the encrypted session and sign-in cookies (at least 32 characters). Required with SSO; every collector behind one URL needs the same value. Changing it signs everyone out.',
  }),
  sessionLifetimeSeconds: spec({
    env: 'EVENTSCOPE_SESSION_LIFETIME_SECONDS',
    kind: 'int',
    default: 28800,
    min: 60,
    max: 2592000,
    doc: 'How long a dashboard sign-in lasts; the expiry is inside the encrypted cookie and checked by the collector.',
  }),
  dashboardDir: spec({
    env: 'EVENTSCOPE_DASHBOARD_DIR',
    kind: 'string',
    default: undefined,
    doc: 'Built dashboard to serve at /. Default: ../dashboard/dist when it exists.',
  }),
  logLevel: spec({
    env: 'EVENTSCOPE_LOG_LEVEL',
    kind: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    doc: 'Log level.',
  }),
} as const;

type Keys = typeof CONFIG_KEYS;

/** Saga outcomes a terminal event type can map to (the event contract's). */
export { SAGA_OUTCOMES };

/** `sagaTerminalTypes` entries (`type=outcome`) as a map; the config has validated them. */
export function terminalTypesMap(entries: readonly string[]): Record<string, (typeof SAGA_OUTCOMES)[number]> {
  const out = dict<(typeof SAGA_OUTCOMES)[number]>();
  for (const entry of entries) {
    const i = entry.indexOf('=');
    out[entry.slice(0, i)] = entry.slice(i + 1) as (typeof SAGA_OUTCOMES)[number];
  }
  return out;
}
/** A key's value in the config: possibly undefined only when the key has no default. */
type ValueOf<S> = S extends KeySpec<infer K, infer D> ? (undefined extends D ? Value<K> | undefined : Value<K>) : never;
export type Config = Readonly<{ [K in keyof Keys]: ValueOf<Keys[K]> }>;

function invalid(key: string, env: string, message: string): CollectorError {
  return new CollectorError('CONFIG_INVALID', `config ${key} (${env}): ${message}`);
}

function parseValue(key: string, s: KeySpec, raw: unknown): unknown {
  switch (s.kind) {
    case 'string': {
      if (typeof raw !== 'string') throw invalid(key, s.env, `expected a string, got ${JSON.stringify(raw)}`);
      return raw;
    }
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isInteger(n)) throw invalid(key, s.env, `expected an integer, got ${JSON.stringify(raw)}`);
      if (s.min !== undefined && n < s.min) throw invalid(key, s.env, `must be >= ${s.min}, got ${n}`);
      if (s.max !== undefined && n > s.max) throw invalid(key, s.env, `must be <= ${s.max}, got ${n}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw invalid(key, s.env, `expected true or false, got ${JSON.stringify(raw)}`);
    }
    case 'enum': {
      if (typeof raw !== 'string' || !s.values?.includes(raw)) {
        throw invalid(key, s.env, `expected one of ${s.values?.join(', ')}, got ${JSON.stringify(raw)}`);
      }
      return raw;
    }
    case 'list': {
      if (Array.isArray(raw) && raw.every((v) => typeof v === 'string')) return raw;
      if (typeof raw === 'string')
        return raw
          .split(',')
          .map((v) => v.trim())
          .filter(Boolean);
      throw invalid(key, s.env, `expected a comma-separated list, got ${JSON.stringify(raw)}`);
    }
    case 'clusters': {
      let value = raw;
      if (typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch (err) {
          throw invalid(key, s.env, `expected a JSON array of clusters: ${(err as Error).message}`);
        }
      }
      const problem = checkClusterSpecs(value);
      if (problem !== undefined) throw invalid(key, s.env, problem);
      return value;
    }
  }
}

/**
 * Builds the configuration from a config file (JSON, camelCase keys; path in
 * EVENTSCOPE_CONFIG_FILE) and the environment, environment winning. `overrides` (tests)
 * win over both. Throws CONFIG_INVALID naming the key and the valid values.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  let file = dict<unknown>();
  const fileName = env.EVENTSCOPE_CONFIG_FILE;
  if (fileName) {
    try {
      file = JSON.parse(readFileSync(fileName, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new CollectorError('CONFIG_INVALID', `cannot read config file ${fileName}: ${(err as Error).message}`);
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new CollectorError('CONFIG_INVALID', `config file ${fileName} must hold a JSON object`);
    }
    const unknown = Object.keys(file).filter((k) => !Object.hasOwn(CONFIG_KEYS, k));
    if (unknown.length > 0) {
      throw new CollectorError(
        'CONFIG_INVALID',
        `config file ${fileName}: unknown key(s) ${unknown.join(', ')}; valid keys: ${Object.keys(CONFIG_KEYS).join(', ')}`,
      );
    }
  }
  const unknownEnv = Object.keys(env).filter(
    (k) =>
      k.startsWith('EVENTSCOPE_') &&
      k !== 'EVENTSCOPE_CONFIG_FILE' &&
      !Object.values(CONFIG_KEYS).some((s) => s.env === k),
  );
  if (unknownEnv.length > 0) {
    throw new CollectorError(
      'CONFIG_INVALID',
      `unknown environment variable(s) ${unknownEnv.join(', ')}; see collector/docs/configuration.md`,
    );
  }
  const out = dict<unknown>();
  for (const [key, s] of Object.entries(CONFIG_KEYS) as [string, KeySpec][]) {
    if (Object.hasOwn(overrides, key)) {
      out[key] = (overrides as Record<string, unknown>)[key];
      continue;
    }
    const raw = env[s.env] !== undefined && env[s.env] !== '' ? env[s.env] : file[key];
    out[key] = raw === undefined ? s.default : parseValue(key, s, raw);
    const problem = raw === undefined ? undefined : s.check?.(out[key] as never);
    if (problem !== undefined) throw invalid(key, s.env, problem);
  }
  checkOidcConfig(out as Config);
  const primary = out.kafkaClusterName as string;
  if ((out.kafkaClusters as readonly ClusterSpec[]).some((c) => c.name === primary)) {
    throw invalid(
      'kafkaClusters',
      CONFIG_KEYS.kafkaClusters.env,
      `the name ${JSON.stringify(primary)} is the primary cluster's (kafkaClusterName); give the entry another name`,
    );
  }
  return Object.freeze(out) as Config;
}

/** The configuration with secrets masked, safe to log. */
export function redactConfig(config: Config): Record<string, unknown> {
  const out = dict<unknown>();
  for (const [key, s] of Object.entries(CONFIG_KEYS) as [string, KeySpec][]) {
    const value = (config as Record<string, unknown>)[key];
    out[key] =
      s.secret && value !== undefined
        ? '***'
        : s.kind === 'clusters'
          ? (value as readonly ClusterSpec[]).map((c) =>
              c.saslPassword === undefined ? c : { ...c, saslPassword: '***' },
            )
          : value;
  }
  return out;
}

/** Markdown reference of every key (docs/configuration.md is this text). */
export function configReference(): string {
  const rows = (Object.entries(CONFIG_KEYS) as [string, KeySpec][]).map(([key, s]) => {
    const d = s.default;
    const def =
      d === undefined
        ? '(unset)'
        : typeof d === 'object'
          ? (d as readonly unknown[]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',') || '(empty)'
          : String(d);
    const values = s.values ? ` One of: ${s.values.join(', ')}.` : '';
    return `| \`${key}\` | \`${s.env}\` | ${s.kind} | \`${def}\` | ${s.doc}${values} |`;
  });
  return [
    '# Collector configuration reference',
    '',
    '<!-- Generated from collector/src/config.ts by `npm run docs -w collector`; test/config.test.ts fails when stale. -->',
    '',
    'Set keys as environment variables, or as camelCase keys in a JSON file named by',
    '`EVENTSCOPE_CONFIG_FILE` (the environment wins). Unknown keys and unknown `EVENTSCOPE_*`',
    'variables are refused at startup, as are values of the wrong type.',
    '',
    '| key | environment variable | type | default | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
