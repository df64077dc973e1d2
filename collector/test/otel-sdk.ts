/**
 * The OpenTelemetry Node SDK as a traced test service runs it: the real OTLP protobuf exporter
 * to the harness's intake, one span at a time. `stop()` also disables the instrumentations and
 * clears the API's globals: the collector's projects share one module graph per worker
 * (vitest `isolate: false`), and the next file's SDK must register its own provider and patch
 * kafkajs afresh, not find this one's (a second registration is refused by the API).
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace';

type Instrumentations = NonNullable<NonNullable<ConstructorParameters<typeof NodeSDK>[0]>['instrumentations']>;

export interface TestTracing {
  stop(): Promise<void>;
}

export function startTracing(serviceName: string, otlpUrl: string, instrumentations: Instrumentations): TestTracing {
  const sdk = new NodeSDK({
    serviceName,
    resourceDetectors: [],
    spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${otlpUrl}/v1/traces` }) })],
    instrumentations,
  });
  sdk.start();
  return {
    stop: async () => {
      await sdk.shutdown().catch(() => undefined);
      for (const i of instrumentations.flat()) i.disable();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
