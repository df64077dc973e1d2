/** DLQ triage: records grouped by cause, its metrics and routes. `app.dlqClusters` holds each cluster's. */
export { causeOf, messageTemplate, type Cause } from './fingerprint.ts';
export { DlqTriage, TREND_BUCKETS, TREND_BUCKET_MS, type TriageOptions } from './service.ts';
export { attachTriage, registerTriage } from './register.ts';
export * from './schemas.ts';
