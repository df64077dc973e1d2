/**
 * OTLP/protobuf straight to domain spans: one pass over the bytes of an
 * ExportTraceServiceRequest (field numbers from opentelemetry-proto v1, as in protobuf.ts)
 * that builds `SpanData` directly, without protobufjs's intermediate message objects, Longs
 * or per-id Uint8Arrays. The result is the same as `toSpans(decodeProtobufRequest(body))`
 * (test/traces.protobuf-spans.test.ts compares them): the same spans, rejections and
 * reasons. Fields the collector does not use (trace state, flags, dropped counts, events,
 * schema urls, the instrumentation scope, link attributes) are skipped without being read.
 * Bytes that are not a protobuf message (a length or varint past the end, a bad wire type,
 * invalid UTF-8 in a string that is read) throw MalformedExport.
 */
import type { AttributeValue, DecodedExport, SpanData, SpanKind, SpanLink } from '../span.ts';
import { MalformedExport } from './wire.ts';

const KINDS: SpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_DEPTH = 8;

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_SGROUP = 3;
const WT_EGROUP = 4;
const WT_I32 = 5;

const fail = (what: string): never => {
  throw new MalformedExport(`not a protobuf ExportTraceServiceRequest: ${what}`);
};

/** A cursor over the request bytes; every read checks the bounds of the message it is in. */
class Reader {
  readonly buf: Buffer;
  pos = 0;
  /** High 32 bits of the last `varint64`. */
  hi = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** A varint's low 32 bits (unsigned); longer varints are consumed, their high bits dropped. */
  varint32(end: number): number {
    const b = this.buf;
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= end) fail('varint past the end of its message');
      const byte = b[this.pos++] as number;
      if (shift < 28) v |= (byte & 0x7f) << shift;
      else v |= (byte & 0x0f) << 28;
      if (byte < 0x80) return v >>> 0;
    }
    // More than 5 bytes: the high bits of a 64-bit varint (negative int32s take 10 bytes).
    for (let i = 0; i < 5; i++) {
      if (this.pos >= end) fail('varint past the end of its message');
      if ((b[this.pos++] as number) < 0x80) return v >>> 0;
    }
    return fail('varint longer than 10 bytes');
  }

  /** A 64-bit varint: returns the low 32 bits (unsigned), the high 32 bits in `hi`. */
  varint64(end: number): number {
    const b = this.buf;
    let lo = 0;
    let byte: number;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= end) fail('varint past the end of its message');
      byte = b[this.pos++] as number;
      lo |= (byte & 0x7f) << (i * 7);
      if (byte < 0x80) {
        this.hi = 0;
        return lo >>> 0;
      }
    }
    if (this.pos >= end) fail('varint past the end of its message');
    byte = b[this.pos++] as number;
    lo |= (byte & 0x0f) << 28;
    let hi = (byte & 0x7f) >> 4;
    if (byte >= 0x80) {
      for (let i = 0; i < 5; i++) {
        if (this.pos >= end) fail('varint past the end of its message');
        byte = b[this.pos++] as number;
        hi |= (byte & 0x7f) << (i * 7 + 3);
        if (byte < 0x80) break;
        if (i === 4) fail('varint longer than 10 bytes');
      }
    }
    this.hi = hi >>> 0;
    return lo >>> 0;
  }

  /** The end of a length-delimited field starting here (its length is consumed). */
  len(end: number): number {
    const n = this.varint32(end);
    const e = this.pos + n;
    if (e > end) fail('length past the end of its message');
    return e;
  }

  /** A string field (strict UTF-8, as protobufjs reads it). */
  string(end: number): string {
    const e = this.len(end);
    const s = this.pos;
    this.pos = e;
    const b = this.buf;
    for (let i = s; i < e; i++) {
      if ((b[i] as number) >= 0x80) {
        try {
          return utf8.decode(b.subarray(s, e));
        } catch {
          return fail('a string field is not valid UTF-8');
        }
      }
    }
    return b.toString('latin1', s, e);
  }

  /** Skips a field of this wire type (a group up to its end tag). */
  skip(wt: number, end: number, depth = 0): void {
    switch (wt) {
      case WT_VARINT:
        this.varint32(end);
        return;
      case WT_I64:
        this.pos += 8;
        break;
      case WT_LEN:
        this.pos = this.len(end);
        return;
      case WT_SGROUP:
        if (depth > 32) fail('groups nested too deeply');
        for (;;) {
          const tag = this.varint32(end);
          if ((tag & 7) === WT_EGROUP) return;
          this.skip(tag & 7, end, depth + 1);
        }
      case WT_I32:
        this.pos += 4;
        break;
      default:
        fail(`invalid wire type ${wt}`);
    }
    if (this.pos > end) fail('fixed-size field past the end of its message');
  }
}

/** An int64 from its two halves, as `Number(BigInt.asIntN(64, n))` gives it (one rounding). */
const int64 = (lo: number, hi: number): number => (hi | 0) * 4294967296 + lo;

/** fixed64 nanoseconds at `pos` as integer microseconds, exactly `Number(n / 1000n)`. */
function nanosToUs(b: Buffer, pos: number): number {
  const lo = b.readUInt32LE(pos);
  const hi = b.readUInt32LE(pos + 4);
  // n = hi * 2^32 + lo and 2^32 = 1000 * 4294967 + 296, so n / 1000 = hi * 4294967 + (hi * 296 + lo) / 1000;
  // exact in doubles while the result stays below 2^53 (until the year 2255).
  if (hi < 0x100000) return hi * 4294967 + Math.floor((hi * 296 + lo) / 1000);
  return Number(((BigInt(hi) << 32n) | BigInt(lo)) / 1000n);
}

const allZero = (b: Buffer, s: number, e: number): boolean => {
  for (let i = s; i < e; i++) if (b[i] !== 0) return false;
  return true;
};

/** An AnyValue message ending at `end`; the member set first in protobufjs's order wins, as in wire.ts. */
function anyValue(r: Reader, end: number, depth: number): AttributeValue {
  if (depth > MAX_DEPTH) {
    r.pos = end;
    return null;
  }
  let str: string | undefined;
  let bool: boolean | undefined;
  let int: number | undefined;
  let dbl: number | undefined;
  let arr: AttributeValue[] | undefined;
  let kv: Record<string, AttributeValue> | undefined;
  let bytes: string | undefined;
  while (r.pos < end) {
    const tag = r.varint32(end);
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 1:
        if (wt !== WT_LEN) break;
        str = r.string(end);
        continue;
      case 2:
        if (wt !== WT_VARINT) break;
        bool = r.varint64(end) !== 0 || r.hi !== 0;
        continue;
      case 3: {
        if (wt !== WT_VARINT) break;
        const lo = r.varint64(end);
        int = int64(lo, r.hi);
        continue;
      }
      case 4:
        if (wt !== WT_I64) break;
        if (r.pos + 8 > end) fail('double past the end of its message');
        dbl = r.buf.readDoubleLE(r.pos);
        r.pos += 8;
        continue;
      case 5: {
        if (wt !== WT_LEN) break;
        const e = r.len(end);
        arr = [];
        while (r.pos < e) {
          const t = r.varint32(e);
          if (t === ((1 << 3) | WT_LEN)) {
            const ve = r.len(e);
            arr.push(anyValue(r, ve, depth + 1));
            r.pos = ve;
          } else r.skip(t & 7, e);
        }
        continue;
      }
      case 6: {
        if (wt !== WT_LEN) break;
        const e = r.len(end);
        kv = Object.create(null) as Record<string, AttributeValue>;
        while (r.pos < e) {
          const t = r.varint32(e);
          if (t === ((1 << 3) | WT_LEN)) keyValue(r, r.len(e), kv, depth + 1);
          else r.skip(t & 7, e);
        }
        continue;
      }
      case 7: {
        if (wt !== WT_LEN) break;
        const e = r.len(end);
        bytes = r.buf.toString('base64', r.pos, e);
        r.pos = e;
        continue;
      }
    }
    r.skip(wt, end);
  }
  if (str !== undefined) return str;
  if (bool !== undefined) return bool;
  if (int !== undefined) return int;
  if (dbl !== undefined) return dbl;
  if (arr !== undefined) return arr;
  if (kv !== undefined) return kv;
  if (bytes !== undefined) return bytes;
  return null;
}

/** A KeyValue message ending at `end`, into `out` (a later key replaces an earlier one). */
function keyValue(r: Reader, end: number, out: Record<string, AttributeValue>, depth: number): void {
  let key = '';
  let value: AttributeValue = null;
  while (r.pos < end) {
    const tag = r.varint32(end);
    if (tag === ((1 << 3) | WT_LEN)) key = r.string(end);
    else if (tag === ((2 << 3) | WT_LEN)) {
      const e = r.len(end);
      value = anyValue(r, e, depth);
      r.pos = e;
    } else r.skip(tag & 7, end);
  }
  out[key] = value;
}

/** The `service.name` of a Resource message ending at `end`. */
function serviceOf(r: Reader, end: number): string {
  const attrs = Object.create(null) as Record<string, AttributeValue>;
  while (r.pos < end) {
    const tag = r.varint32(end);
    if (tag === ((1 << 3) | WT_LEN)) keyValue(r, r.len(end), attrs, 0);
    else r.skip(tag & 7, end);
  }
  const s = attrs['service.name'];
  return typeof s === 'string' && s !== '' ? s : 'unknown_service';
}

/** Where a bytes field lies: [start, end). */
interface Span2 {
  s: number;
  e: number;
}

function idRange(r: Reader, end: number, into: Span2): void {
  into.e = r.len(end);
  into.s = r.pos;
  r.pos = into.e;
}

/** A Link message: pushed when both ids have the right length (like wireId, zero ids included). */
function link(r: Reader, end: number, links: SpanLink[]): void {
  const t: Span2 = { s: 0, e: 0 };
  const sp: Span2 = { s: 0, e: 0 };
  while (r.pos < end) {
    const tag = r.varint32(end);
    if (tag === ((1 << 3) | WT_LEN)) idRange(r, end, t);
    else if (tag === ((2 << 3) | WT_LEN)) idRange(r, end, sp);
    else r.skip(tag & 7, end);
  }
  if (t.e - t.s === 16 && sp.e - sp.s === 8) {
    links.push({ traceId: r.buf.toString('hex', t.s, t.e), spanId: r.buf.toString('hex', sp.s, sp.e) });
  }
}

interface Out extends DecodedExport {
  reject(reason: string): void;
}

const NO_ID = -1;

/** A Span message ending at `end`: a domain span pushed to `out`, or a rejection counted. */
function span(r: Reader, end: number, out: Out): void {
  const b = r.buf;
  const trace: Span2 = { s: NO_ID, e: NO_ID };
  const id: Span2 = { s: NO_ID, e: NO_ID };
  const parent: Span2 = { s: NO_ID, e: NO_ID };
  let name = '';
  let kind = 0;
  let startUs = 0;
  let endUs = 0;
  const attributes = Object.create(null) as Record<string, AttributeValue>;
  const links: SpanLink[] = [];
  let code = 0;
  let message = '';
  while (r.pos < end) {
    const tag = r.varint32(end);
    switch (tag) {
      case (1 << 3) | WT_LEN:
        idRange(r, end, trace);
        continue;
      case (2 << 3) | WT_LEN:
        idRange(r, end, id);
        continue;
      case (4 << 3) | WT_LEN:
        idRange(r, end, parent);
        continue;
      case (5 << 3) | WT_LEN:
        name = r.string(end);
        continue;
      case (6 << 3) | WT_VARINT:
        kind = r.varint32(end) | 0;
        continue;
      case (7 << 3) | WT_I64:
        if (r.pos + 8 > end) fail('fixed64 past the end of its message');
        startUs = nanosToUs(b, r.pos);
        r.pos += 8;
        continue;
      case (8 << 3) | WT_I64:
        if (r.pos + 8 > end) fail('fixed64 past the end of its message');
        endUs = nanosToUs(b, r.pos);
        r.pos += 8;
        continue;
      case (9 << 3) | WT_LEN:
        keyValue(r, r.len(end), attributes, 0);
        continue;
      case (13 << 3) | WT_LEN:
        link(r, r.len(end), links);
        continue;
      case (15 << 3) | WT_LEN: {
        // A repeated Status replaces the earlier one (protobufjs does not merge messages).
        const e = r.len(end);
        code = 0;
        message = '';
        while (r.pos < e) {
          const t = r.varint32(e);
          if (t === ((2 << 3) | WT_LEN)) message = r.string(e);
          else if (t === ((3 << 3) | WT_VARINT)) code = r.varint32(e) | 0;
          else r.skip(t & 7, e);
        }
        continue;
      }
      default:
        r.skip(tag & 7, end);
    }
  }
  const traceLen = trace.e - trace.s;
  if (trace.s === NO_ID || traceLen !== 16 || allZero(b, trace.s, trace.e)) {
    out.reject('span with a missing or invalid traceId (16 bytes, hex)');
    return;
  }
  if (id.s === NO_ID || id.e - id.s !== 8 || allZero(b, id.s, id.e)) {
    out.reject('span with a missing or invalid spanId (8 bytes, hex)');
    return;
  }
  const parentLen = parent.s === NO_ID ? 0 : parent.e - parent.s;
  if (parentLen !== 0 && parentLen !== 8) {
    out.reject('span with an invalid parentSpanId (8 bytes, hex)');
    return;
  }
  if (startUs === 0 || endUs < startUs) {
    out.reject('span with missing or invalid start/end times (unix nanoseconds, end >= start)');
    return;
  }
  out.spans.push({
    traceId: b.toString('hex', trace.s, trace.e),
    spanId: b.toString('hex', id.s, id.e),
    parentSpanId: parentLen === 8 && !allZero(b, parent.s, parent.e) ? b.toString('hex', parent.s, parent.e) : null,
    name,
    kind: KINDS[kind] ?? 'unspecified',
    startUs,
    endUs,
    attributes,
    links,
    status: code === 2 ? 'error' : code === 1 ? 'ok' : 'unset',
    statusMessage: message !== '' ? message : null,
    service: '',
  });
}

/** Decodes an ExportTraceServiceRequest into domain spans; MalformedExport when the bytes are not one. */
export function decodeProtobufSpans(body: Uint8Array): DecodedExport {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const r = new Reader(buf);
  const out: Out = {
    spans: [],
    rejected: 0,
    rejectReason: null,
    reject(reason) {
      this.rejected++;
      this.rejectReason ??= reason;
    },
  };
  const end = buf.length;
  while (r.pos < end) {
    const tag = r.varint32(end);
    if (tag !== ((1 << 3) | WT_LEN)) {
      r.skip(tag & 7, end);
      continue;
    }
    // ResourceSpans: its spans take the service of its resource, wherever that field comes.
    const rsEnd = r.len(end);
    const first = out.spans.length;
    let service = 'unknown_service';
    while (r.pos < rsEnd) {
      const t = r.varint32(rsEnd);
      if (t === ((1 << 3) | WT_LEN)) {
        service = serviceOf(r, r.len(rsEnd));
      } else if (t === ((2 << 3) | WT_LEN)) {
        const ssEnd = r.len(rsEnd);
        while (r.pos < ssEnd) {
          const st = r.varint32(ssEnd);
          if (st === ((2 << 3) | WT_LEN)) {
            const e = r.len(ssEnd);
            span(r, e, out);
            r.pos = e;
          } else r.skip(st & 7, ssEnd);
        }
      } else r.skip(t & 7, rsEnd);
    }
    const spans: SpanData[] = out.spans;
    for (let i = first; i < spans.length; i++) (spans[i] as SpanData).service = service;
  }
  return { spans: out.spans, rejected: out.rejected, rejectReason: out.rejectReason };
}
