/** The OTLP-in-Kafka receiver's public surface; the plugin is in plugin.ts. */
export { otlpKafkaPlugin, type OtlpKafkaPluginOptions } from './plugin.ts';
export { KafkaOtlpReceiver, decodeRecord, type RecordOutcome } from './receiver.ts';
