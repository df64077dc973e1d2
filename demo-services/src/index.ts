/** Public surface of the demo services package. */
export { startDemo, runAll, type RunningDemo } from './run-all.ts';
export { deletePrefixed, isolatedDemoEnv, startIsolatedDemo, type IsolatedDemoOptions } from './isolated.ts';
export { ServiceProcess, SERVICES, startAll, stopAll, type ServiceName } from './supervisor.ts';
export { runLoadgen, type LoadgenOptions, type LoadgenSaga, type LoadgenSummary } from './loadgen/run.ts';
export { naming, EVENT_TYPES, CONSUMER_SERVICES, type EventType, type Naming } from './topics.ts';
export { HEADER } from './lib/envelope.ts';
export { DLQ_HEADER } from './lib/consumer.ts';
export { ATTR, type Outcome } from './tracing/attributes.ts';
export { loadConfig, type DemoConfig } from './config.ts';
