/**
 * API schemas of DLQ triage (TypeBox): DLQ records grouped by cause, an error class plus the
 * fingerprint of its message with ids, numbers and quoted values taken out (fingerprint.ts).
 * Times are ms since the Unix epoch.
 */
import { Type, type Static } from 'typebox';
import { ClusterQuerySchema } from '../../lag/schemas.ts';
import { DlqClusterSchema } from '../schemas.ts';

export const DlqCauseSampleSchema = Type.Object({
  topic: Type.String({ description: 'The DLQ topic the sample record sits in.' }),
  partition: Type.Integer(),
  offset: Type.String({ description: 'Decimal offset (a string, as Kafka offsets are 64-bit).' }),
  message: Type.String({ description: 'The error message of the latest record of this cause (first line, clipped).' }),
});

export const DlqCauseSchema = Type.Object({
  fingerprint: Type.String({
    description: 'Hex digest of error class and template: stable across restarts and collectors.',
  }),
  errorClass: Type.String({
    description: 'The `dlq-error-class` header, else the class a Java-style first line names, else `unknown`.',
  }),
  template: Type.String({
    description: 'The message with ids, numbers, uuids, hex and quoted values replaced by placeholders.',
  }),
  count: Type.Integer({ description: 'Records of this cause the collector has read from DLQ tails since it started.' }),
  firstSeenMs: Type.Number({
    description: 'Earliest record timestamp of the cause (a future timestamp counts as when it was read).',
  }),
  lastSeenMs: Type.Number({ description: 'Latest record timestamp of the cause (capped at when it was read).' }),
  dlqs: Type.Array(Type.String(), { description: 'DLQ topics holding records of this cause.' }),
  topics: Type.Array(Type.String(), { description: 'Original topics affected (`dlq-original-topic`).' }),
  groups: Type.Array(Type.String(), { description: 'Consumer groups that failed (`dlq-consumer-group`).' }),
  sample: DlqCauseSampleSchema,
  trend: Type.Array(Type.Integer(), {
    description: 'Records per bucket of bucketMs, oldest first, the last ending now.',
  }),
  bucketMs: Type.Integer({ description: 'Width of a trend bucket in ms.' }),
});

export const DlqCausesSchema = Type.Object({
  cluster: DlqClusterSchema,
  causes: Type.Array(DlqCauseSchema, { description: 'Most records first.' }),
  /** Records whose cause was not tracked because the cap of distinct causes was reached. */
  untracked: Type.Integer({
    description: 'Records not grouped: the cap of distinct causes (dlqCausesMax) was reached.',
  }),
});

/** `?unmask=true` on payload views: operator only, audited (masking); `?cluster=` as on every DLQ route. */
export const UnmaskQuerySchema = Type.Object({
  unmask: Type.Optional(
    Type.Boolean({ description: 'Show masked fields and headers in clear (operator only, audited).' }),
  ),
  ...ClusterQuerySchema.properties,
});

export type DlqCauseSample = Static<typeof DlqCauseSampleSchema>;
export type DlqCause = Static<typeof DlqCauseSchema>;
export type DlqCauses = Static<typeof DlqCausesSchema>;
export type UnmaskQuery = Static<typeof UnmaskQuerySchema>;
