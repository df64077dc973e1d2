/**
 * What other workspaces' tests take from the demo's test kit (`@eventscope/demo-services/testing`):
 * hostile records for the demo's topics (garbage.ts), calls to the order service (helpers.ts) and
 * the demo's Kafka client setup.
 */
export { produceGarbage, produceGarbageTo, produceNullHeaders, schemaIdOf } from './garbage.ts';
export { getOrder, placeOrder, readTopic, type ReadRecord } from './helpers.ts';
export { createKafka, ensureTopics, kafkaModule, type KafkaJs } from '../src/lib/kafka.ts';
