/** The trace intake capability's public surface; the plugin is in plugin.ts. */
export { IntakeQueue, type SpanConsumer } from './intake.ts';
export type { AttributeValue, DecodedExport, SpanData, SpanKind, SpanLink } from './span.ts';
export { otlpReceiver } from './receiver.ts';
export { createOtlpServer } from './otlp-server.ts';
export { tracesPlugin } from './plugin.ts';
