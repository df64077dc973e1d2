/**
 * OTLP trace wire types (opentelemetry-proto: collector/trace/v1/trace_service.proto,
 * trace/v1/trace.proto, common/v1/common.proto, resource/v1/resource.proto), in the two
 * shapes they arrive in: OTLP/JSON (hex ids, nanoseconds as strings or numbers) and
 * protobuf decoded by protobufjs (bytes as Uint8Array, fixed64 as Long). `toSpans` turns
 * either into domain spans, once, at the boundary.
 */
import type { AttributeValue, DecodedExport, SpanData, SpanKind, SpanLink } from '../span.ts';

/** protobufjs's Long (from the `long` package): 64-bit value as two 32-bit halves. */
export interface WireLong {
  low: number;
  high: number;
  unsigned: boolean;
}

/** A 64-bit integer as it may arrive: JSON string or number, or a protobuf Long. */
export type WireInt64 = string | number | WireLong;
/** An id: hex string (JSON), base64 string (some JSON encoders), or bytes (protobuf). */
export type WireId = string | Uint8Array;

export interface WireAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: WireInt64;
  doubleValue?: number;
  arrayValue?: { values?: WireAnyValue[] };
  kvlistValue?: { values?: WireKeyValue[] };
  bytesValue?: string | Uint8Array;
}

export interface WireKeyValue {
  key?: string;
  value?: WireAnyValue;
}

export interface WireLink {
  traceId?: WireId;
  spanId?: WireId;
  traceState?: string;
  attributes?: WireKeyValue[];
  flags?: number;
}

export interface WireStatus {
  message?: string;
  /** 0 unset, 1 ok, 2 error (JSON may use the enum name). */
  code?: number | string;
}

export interface WireSpan {
  traceId?: WireId;
  spanId?: WireId;
  traceState?: string;
  parentSpanId?: WireId;
  flags?: number;
  name?: string;
  /** 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer (JSON may use the enum name). */
  kind?: number | string;
  startTimeUnixNano?: WireInt64;
  endTimeUnixNano?: WireInt64;
  attributes?: WireKeyValue[];
  links?: WireLink[];
  status?: WireStatus;
}

export interface WireScopeSpans {
  scope?: { name?: string; version?: string };
  spans?: WireSpan[];
}

export interface WireResourceSpans {
  resource?: { attributes?: WireKeyValue[] };
  scopeSpans?: WireScopeSpans[];
}

export interface WireExportTraceServiceRequest {
  resourceSpans?: WireResourceSpans[];
}

export interface WireExportTraceServiceResponse {
  partialSuccess?: { rejectedSpans: number; errorMessage: string };
}

/** A request whose structure is not OTLP at all: answered with 400 and this reason. */
export class MalformedExport extends Error {
  override readonly name = 'MalformedExport';
}

const KINDS: SpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const KIND_NAMES: Record<string, SpanKind> = {
  SPAN_KIND_UNSPECIFIED: 'unspecified',
  SPAN_KIND_INTERNAL: 'internal',
  SPAN_KIND_SERVER: 'server',
  SPAN_KIND_CLIENT: 'client',
  SPAN_KIND_PRODUCER: 'producer',
  SPAN_KIND_CONSUMER: 'consumer',
};

const HEX_RE = /^[0-9a-fA-F]*$/;
const B64_RE = /^[A-Za-z0-9+/]*={0,2}$/;

/** An id of `bytes` bytes as lowercase hex; undefined when absent or invalid; null when empty. */
export function wireId(v: WireId | undefined, bytes: number): string | null | undefined {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') {
    if (v.length === 0) return null;
    if (v.length !== bytes) return undefined;
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
  }
  if (v === '') return null;
  if (v.length === bytes * 2 && HEX_RE.test(v)) return v.toLowerCase();
  if (B64_RE.test(v)) {
    const b = Buffer.from(v, 'base64');
    if (b.length === bytes) return b.toString('hex');
  }
  return undefined;
}

/**
 * Nanoseconds since the epoch (any wire shape) as integer microseconds; undefined when invalid,
 * or past 2^53 µs (the year 2255), where microseconds are no longer exact integers.
 */
export function wireNanosToUs(v: WireInt64 | undefined): number | undefined {
  const us = nanosToUsUnchecked(v);
  return us !== undefined && Number.isSafeInteger(us) ? us : undefined;
}

function nanosToUsUnchecked(v: WireInt64 | undefined): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.floor(v / 1000) : undefined;
  if (typeof v === 'string') {
    if (!/^\d{1,20}$/.test(v)) return undefined;
    return Number(BigInt(v) / 1000n);
  }
  if (typeof v === 'object' && typeof v.low === 'number' && typeof v.high === 'number') {
    const n = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
    return Number(n / 1000n);
  }
  return undefined;
}

/** An int64 attribute value; null when it is not one (protobuf's JSON mapping: a decimal integer, as a string or a number). */
function wireInt(v: WireInt64): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v : null;
  // Not Number(v): it reads '0x10' as 16, '1e3' as 1000, '' and ' ' as 0.
  if (typeof v === 'string') return /^-?\d{1,20}$/.test(v) ? Number(v) : null;
  if (typeof v !== 'object' || v === null || typeof v.low !== 'number' || typeof v.high !== 'number') return null;
  const n = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return Number(v.unsigned ? n : BigInt.asIntN(64, n));
}

/**
 * The value of an AnyValue, by the oneof member actually set. protobufjs puts scalar defaults
 * (e.g. stringValue '') on the message prototype, so only own properties count: otherwise every
 * int, bool and double attribute decoded from protobuf would read as ''.
 */
function anyValue(v: WireAnyValue | undefined, depth = 0): AttributeValue {
  if (!v || typeof v !== 'object' || depth > 8) return null;
  const set = (k: keyof WireAnyValue): boolean => Object.hasOwn(v, k) && v[k] !== undefined && v[k] !== null;
  if (set('stringValue')) return String(v.stringValue);
  if (set('boolValue')) return Boolean(v.boolValue);
  if (set('intValue')) return wireInt(v.intValue as WireInt64);
  if (set('doubleValue')) return Number(v.doubleValue);
  if (set('arrayValue')) return (v.arrayValue?.values ?? []).map((x) => anyValue(x, depth + 1));
  if (set('kvlistValue')) return attributes(v.kvlistValue?.values, depth + 1);
  if (set('bytesValue')) {
    return typeof v.bytesValue === 'string' ? v.bytesValue : Buffer.from(v.bytesValue as Uint8Array).toString('base64');
  }
  return null;
}

function attributes(kvs: WireKeyValue[] | undefined, depth = 0): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = Object.create(null) as Record<string, AttributeValue>;
  if (!Array.isArray(kvs)) return out;
  for (const kv of kvs) {
    if (kv && typeof kv.key === 'string') out[kv.key] = anyValue(kv.value, depth);
  }
  return out;
}

function kindOf(k: number | string | undefined): SpanKind {
  if (typeof k === 'number') return KINDS[k] ?? 'unspecified';
  // Own keys only: "constructor" or "toString" is not a kind (it used to come back as a function).
  if (typeof k === 'string') return Object.hasOwn(KIND_NAMES, k) ? (KIND_NAMES[k] as SpanKind) : 'unspecified';
  return 'unspecified';
}

function statusOf(s: WireStatus | undefined): SpanData['status'] {
  const c = s?.code;
  if (c === 2 || c === 'STATUS_CODE_ERROR') return 'error';
  if (c === 1 || c === 'STATUS_CODE_OK') return 'ok';
  return 'unset';
}

const array = <T>(v: unknown, what: string): T[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new MalformedExport(`${what} must be an array`);
  return v as T[];
};

/**
 * Turns a decoded export request into domain spans. Structural errors (not an OTLP request)
 * throw MalformedExport; an individual span with a bad id or time is rejected and counted.
 */
export function toSpans(req: WireExportTraceServiceRequest): DecodedExport {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    throw new MalformedExport('body must be an ExportTraceServiceRequest object');
  }
  const out: DecodedExport = { spans: [], rejected: 0, rejectReason: null };
  const reject = (reason: string): void => {
    out.rejected++;
    out.rejectReason ??= reason;
  };
  for (const rs of array<WireResourceSpans>(req.resourceSpans, 'resourceSpans')) {
    if (typeof rs !== 'object' || rs === null) throw new MalformedExport('resourceSpans[] must hold objects');
    const resource = attributes(rs.resource?.attributes);
    const serviceAttr = resource['service.name'];
    const service = typeof serviceAttr === 'string' && serviceAttr !== '' ? serviceAttr : 'unknown_service';
    for (const ss of array<WireScopeSpans>(rs.scopeSpans, 'resourceSpans[].scopeSpans')) {
      if (typeof ss !== 'object' || ss === null) throw new MalformedExport('scopeSpans[] must hold objects');
      for (const s of array<WireSpan>(ss.spans, 'scopeSpans[].spans')) {
        if (typeof s !== 'object' || s === null) throw new MalformedExport('spans[] must hold objects');
        const traceId = wireId(s.traceId, 16);
        const spanId = wireId(s.spanId, 8);
        const parentSpanId = wireId(s.parentSpanId, 8);
        if (!traceId || /^0+$/.test(traceId)) {
          reject('span with a missing or invalid traceId (16 bytes, hex)');
          continue;
        }
        if (!spanId || /^0+$/.test(spanId)) {
          reject('span with a missing or invalid spanId (8 bytes, hex)');
          continue;
        }
        if (parentSpanId === undefined) {
          reject('span with an invalid parentSpanId (8 bytes, hex)');
          continue;
        }
        const startUs = wireNanosToUs(s.startTimeUnixNano);
        const endUs = wireNanosToUs(s.endTimeUnixNano);
        if (startUs === undefined || endUs === undefined || startUs === 0 || endUs < startUs) {
          reject('span with missing or invalid start/end times (unix nanoseconds, end >= start)');
          continue;
        }
        const links: SpanLink[] = [];
        for (const l of array<WireLink>(s.links, 'spans[].links')) {
          const lt = wireId(l?.traceId, 16);
          const ls = wireId(l?.spanId, 8);
          if (lt && ls) links.push({ traceId: lt, spanId: ls });
        }
        out.spans.push({
          traceId,
          spanId,
          parentSpanId: parentSpanId && !/^0+$/.test(parentSpanId) ? parentSpanId : null,
          name: typeof s.name === 'string' ? s.name : '',
          kind: kindOf(s.kind),
          startUs,
          endUs,
          attributes: attributes(s.attributes),
          links,
          status: statusOf(s.status),
          statusMessage: typeof s.status?.message === 'string' && s.status.message !== '' ? s.status.message : null,
          service,
        });
      }
    }
  }
  return out;
}
