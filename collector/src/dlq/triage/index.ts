/** DLQ triage: records grouped by cause, its metrics and routes. `app.dlqTriage` exposes the state. */
export { causeOf, messageTemplate, type Cause } from './fingerprint.ts';
export { DlqTriage, TREND_BUCKETS, TREND_BUCKET_MS, type TriageOptions } from './service.ts';
export { registerTriage } from './register.ts';
export * from './schemas.ts';
