/**
 * Contract check: the dashboard's API types (src/api/types.ts, through the typed fixtures the
 * component tests render) against the collector's OpenAPI document, built from its TypeBox
 * route schemas. A field the collector renames, adds as required, or drops fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CAUSES,
  CLUSTERS,
  DLQ,
  DLQ_DETAIL,
  DLQ_HISTORY,
  EVENT,
  FLOWS,
  GROUP_DETAIL,
  GROUPS,
  OVERVIEW,
  redrive,
  SAGA,
  SAGAS,
} from '../src/test/fixtures.ts';
import { serve, type Served } from './serve.ts';

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  additionalProperties?: boolean | Schema;
  patternProperties?: Record<string, Schema>;
};

/** Differences between a JSON value and a response schema: missing required keys, unknown keys. */
export function mismatches(schema: Schema | undefined, value: unknown, path = '$'): string[] {
  if (!schema || value === null || value === undefined) return [];
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) {
    const nonNull = variants.filter((v) => v.type !== 'null');
    // The variant that fits best (fewest differences).
    const results = nonNull.map((v) => mismatches(v, value, path));
    return results.sort((a, b) => a.length - b.length)[0] ?? [];
  }
  if (Array.isArray(value)) return value.length ? mismatches(schema.items, value[0], `${path}[0]`) : [];
  if (typeof value !== 'object') return [];
  const obj = value as Record<string, unknown>;
  if (schema.properties) {
    const out: string[] = [];
    for (const key of schema.required ?? []) if (!(key in obj)) out.push(`${path}.${key} is required by the collector`);
    for (const key of Object.keys(obj)) {
      const prop = schema.properties[key];
      if (!prop) out.push(`${path}.${key} is not in the collector's schema`);
      else out.push(...mismatches(prop, obj[key], `${path}.${key}`));
    }
    return out;
  }
  // A record (map) type: check each value against the value schema.
  const valueSchema =
    typeof schema.additionalProperties === 'object'
      ? schema.additionalProperties
      : Object.values(schema.patternProperties ?? {})[0];
  if (valueSchema) return Object.entries(obj).flatMap(([k, v]) => mismatches(valueSchema, v, `${path}.${k}`));
  return [];
}

let served: Served;
let paths: Record<
  string,
  Record<string, { responses?: Record<string, { content?: Record<string, { schema: Schema }> }> }>
>;

beforeAll(async () => {
  served = await serve('collector');
  const res = await fetch(`${served.collectorUrl}/docs/json`);
  paths = ((await res.json()) as { paths: typeof paths }).paths;
}, 120_000);

afterAll(async () => {
  await served?.close();
});

function responseSchema(path: string, method = 'get'): Schema {
  const op = paths[path]?.[method];
  const schema = op?.responses?.['200']?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`the collector documents no 200 JSON response for ${method.toUpperCase()} ${path}`);
  return schema;
}

const AUDIT_FINDING = {
  cluster: 'main',
  group: 'g',
  topic: 't',
  partition: 0,
  offset: 1,
  eventId: null,
  correlationId: null,
  detectedMs: 1,
  class: 'skipped',
  reason: 'no-effect',
  service: 's',
  decidedMs: 2,
};

describe("the dashboard's API types match the collector's route schemas", () => {
  it.each([
    ['/api/clusters', CLUSTERS],
    ['/api/groups', { cluster: 'main', snapshotTime: 1, groups: GROUPS, missingGroupTypes: [] }],
    ['/api/groups/{group}', GROUP_DETAIL],
    ['/api/dlqs', { cluster: 'main', snapshotTime: 1, dlqs: [DLQ] }],
    ['/api/dlqs/{topic}', DLQ_DETAIL],
    ['/api/dlqs/{topic}/history', DLQ_HISTORY],
    ['/api/dlqs/{topic}/causes', CAUSES],
    ['/api/dlq-causes', CAUSES],
    ['/api/redrives', { redrives: [redrive(), redrive({ status: 'completed', finishedAtMs: 2 })] }],
    [
      '/api/redrives/{id}',
      { redrive: redrive({ select: { kind: 'offsets', records: [{ partition: 0, offset: '7' }] } }) },
    ],
    ['/api/events/{eventId}', EVENT],
    ['/api/sagas', SAGAS],
    ['/api/sagas/{correlationId}', SAGA],
    ['/api/flows', FLOWS],
    ['/api/overview', OVERVIEW],
    ['/api/search', { query: 'e1', matches: [{ kind: 'event', id: 'e1', href: '/api/events/e1' }] }],
    [
      '/api/audit',
      {
        duplicates: [{ eventId: 'e1', cluster: 'main', group: 'g', count: 2, firstMs: 1, lastMs: 2 }],
        unaccounted: [AUDIT_FINDING],
        findings: [
          AUDIT_FINDING,
          { ...AUDIT_FINDING, offset: 2, class: 'unknown', reason: 'pending', decidedMs: null },
        ],
        counts: {
          skipped: 1,
          telemetryMissing: 0,
          unknown: 1,
          loss: [{ cluster: 'main', group: 'g', topic: 't', count: 1 }],
          telemetryGaps: [{ cluster: 'main', group: 'g', service: null, count: 0 }],
        },
      },
    ],
    [
      '/api/traces/{traceId}',
      {
        traceId: 'a'.repeat(32),
        publishes: [],
        deliveries: SAGA.hops[0]!.deliveries.map((d) => ({ ...d, eventId: 'e1' })),
        eventIds: ['e1'],
        correlationIds: ['order-17'],
      },
    ],
  ])('%s', (path, fixture) => {
    const schema = responseSchema(path);
    expect(mismatches(schema, fixture)).toEqual([]);
    // and the schema is really checked (not an unresolved reference that accepts anything):
    expect(mismatches(schema, { ...fixture, bogusField: 1 })).toEqual([
      "$.bogusField is not in the collector's schema",
    ]);
  });

  it('POST /api/dlqs/{topic}/mark', () => {
    const schema = responseSchema('/api/dlqs/{topic}/mark', 'post');
    expect(
      mismatches(schema, { cluster: 'c', topic: 't', mark: { at: 1, endOffsets: { '0': 1 } }, addedSinceMark: 0 }),
    ).toEqual([]);
  });

  it('the checker itself notices a renamed field', () => {
    const renamed = { snapshotTime: 1, groups: [{ ...GROUPS[0], lagMessages: 1 }] };
    expect(mismatches(responseSchema('/api/groups'), renamed)).toContain(
      "$.groups[0].lagMessages is not in the collector's schema",
    );
  });
});
