/**
 * API schemas of DLQ redrive (TypeBox): `POST /api/dlqs/:topic/redrives`, `GET /api/redrives[/:id]`,
 * `GET /api/redrives/:id/events` (SSE), `POST /api/redrives/:id/cancel`. The agreed names are in
 * issue #18's API note; types are derived here and exported from api-types.ts.
 */
import { Type, type TSchema } from 'typebox';
import { DlqClusterSchema, DlqRecordSchema } from '../schemas.ts';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** Free text from outside (a class name, a key, a header value): bounded, any characters. */
const Text = (description: string) => Type.String({ minLength: 1, maxLength: 1000, description });

export const RedriveOffsetsSelectSchema = Type.Object(
  {
    kind: Type.Literal('offsets'),
    records: Type.Array(
      Type.Object(
        {
          partition: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
          offset: Type.String({ pattern: '^[0-9]{1,19}$', description: 'Decimal offset (a string: 64-bit).' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
);

export const RedriveFilterSelectSchema = Type.Object(
  {
    kind: Type.Literal('filter'),
    errorClass: Type.Optional(Text('dlq-error-class equals this')),
    originalTopic: Type.Optional(Text('dlq-original-topic equals this')),
    group: Type.Optional(Text('dlq-consumer-group equals this')),
    fromMs: Type.Optional(Type.Number({ minimum: 0, description: 'Record timestamp at or after (ms).' })),
    toMs: Type.Optional(Type.Number({ minimum: 0, description: 'Record timestamp before (ms).' })),
    key: Type.Optional(Type.String({ maxLength: 1000, description: 'The record key (UTF-8) equals this.' })),
    header: Type.Optional(
      Type.Object(
        {
          name: Type.String({ minLength: 1, maxLength: 256 }),
          value: Type.String({ maxLength: 1000 }),
        },
        { additionalProperties: false, description: 'A header with this name has this value (UTF-8).' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const RedriveAllSelectSchema = Type.Object({ kind: Type.Literal('all') }, { additionalProperties: false });

export const RedriveSelectSchema = Type.Union([
  RedriveOffsetsSelectSchema,
  RedriveFilterSelectSchema,
  RedriveAllSelectSchema,
]);

export const RedriveTargetSchema = Type.Union([
  Type.Object({ kind: Type.Literal('original') }, { additionalProperties: false }),
  Type.Object(
    { kind: Type.Literal('group-retry') },
    { additionalProperties: false, description: '`<dlq-consumer-group>.retry`, created if missing' },
  ),
]);

export const RedriveRequestSchema = Type.Object(
  {
    select: RedriveSelectSchema,
    target: RedriveTargetSchema,
    ratePerSecond: Type.Integer({ minimum: 1, maximum: 10_000, description: 'Records produced per second at most.' }),
    dryRun: Type.Optional(Type.Boolean({ description: 'true: count and sample only, nothing is produced.' })),
  },
  { additionalProperties: false },
);

export const RedriveStatusSchema = Type.Union([
  Type.Literal('running'),
  Type.Literal('cancelled'),
  Type.Literal('completed'),
  Type.Literal('failed'),
]);

export const RedriveOutcomeSchema = Type.Object({
  processed: Type.Integer({ description: 'Redriven records whose event was processed after the redrive.' }),
  deadLetteredAgain: Type.Integer({ description: 'Redriven records dead-lettered again after the redrive.' }),
  pending: Type.Integer({ description: 'Redriven records with no delivery seen since the redrive.' }),
});

export const RedriveSchema = Type.Object({
  id: Type.String(),
  cluster: DlqClusterSchema,
  dlqTopic: Type.String(),
  status: RedriveStatusSchema,
  createdBy: Type.String(),
  createdAtMs: Type.Number(),
  finishedAtMs: Nullable(Type.Number()),
  select: RedriveSelectSchema,
  target: RedriveTargetSchema,
  ratePerSecond: Type.Integer(),
  selected: Type.Integer({ description: 'Records the selection matched.' }),
  sent: Type.Integer({ description: 'Records produced to their target and acknowledged.' }),
  failed: Type.Integer({ description: 'Selected records not sent (no target header, produce refused).' }),
  error: Nullable(Type.String()),
  outcome: RedriveOutcomeSchema,
});

export const RedriveDryRunSchema = Type.Object({
  cluster: DlqClusterSchema,
  count: Type.Integer(),
  sample: Type.Array(DlqRecordSchema, { description: 'Up to 10 of the selected records.' }),
});

export const RedriveResponseSchema = Type.Object({ redrive: RedriveSchema });
export const RedriveListSchema = Type.Object({ redrives: Type.Array(RedriveSchema, { description: 'Newest first.' }) });
export const RedriveParamsSchema = Type.Object({ id: Type.String({ pattern: '^[0-9a-zA-Z-]{1,64}$' }) });

// Their types (`Static<>`) are in ../../api-types.ts, with the rest of the API's.
