/**
 * The ports and endpoints eventscope uses on a developer machine. docker-compose.yml
 * publishes the same ports, and test/compose.test.ts holds the two in agreement.
 */
export const PORTS = {
  kafka: 9092,
  /** KRaft controller listener (9093 is left to Alertmanager). */
  kafkaController: 9094,
  registry: 8081,
  /** Collector: API, dashboard, /metrics, and OTLP/HTTP too. */
  collector: 8080,
  /** Collector: the standard OTLP/HTTP port. */
  otlp: 4318,
  /** Collector: the standard OTLP/gRPC port (TraceService/Export). */
  otlpGrpc: 4317,
  orderService: 8090,
  prometheus: 9090,
  alertmanager: 9093,
  grafana: 3000,
} as const;

/** Environment variables every eventscope process understands, with their local values. */
export const LOCAL_ENV = {
  KAFKA_BROKERS: `127.0.0.1:${PORTS.kafka}`,
  SCHEMA_REGISTRY_URL: `http://127.0.0.1:${PORTS.registry}/apis/ccompat/v7`,
  OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${PORTS.otlp}`,
} as const;
