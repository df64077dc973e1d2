/**
 * OTLP/protobuf straight to domain spans: one pass over the bytes of an
 * ExportTraceServiceRequest (field numbers from opentelemetry-proto v1, as in protobuf.ts)
 * that builds `SpanData` directly, without protobufjs's intermediate message objects, Longs
 * or per-id Uint8Arrays. The wire format itself (tags, varints, fixed-size values, lengths,
 * strings, skipping unknown fields) is read with protobufjs's own `Reader`, the way its
 * generated static decoders do: a nested message bounds the reader (`len`) to its end, so
 * nothing inside it can read past it. The result is the same as
 * `toSpans(decodeProtobufRequest(body))` (test/traces.protobuf-spans.test.ts compares them):
 * the same spans, rejections and reasons; a message field that comes twice (a span's status, a
 * resource, an attribute's value) is merged as protobuf merges it, and AnyValue's last oneof
 * member wins. Fields the collector does not use (trace state, flags, dropped counts, events,
 * schema urls, the instrumentation scope, link attributes) are skipped without being read (so,
 * unlike the full decode, invalid UTF-8 or a bad nested message inside them goes unnoticed). Bytes that are not a protobuf message (a length or value past
 * the end of its message, a bad tag or wire type, invalid UTF-8 in a string that is read)
 * throw MalformedExport.
 */
import { isUtf8 } from 'node:buffer';
import protobuf from 'protobufjs';
import type { AttributeValue, DecodedExport, SpanData, SpanKind, SpanLink } from '../span.ts';
import { MalformedExport } from './wire.ts';

type Reader = protobuf.Reader;

const KINDS: SpanKind[] = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const MAX_DEPTH = 8;

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;

const fail = (what: string): never => {
  throw new MalformedExport(`not a protobuf ExportTraceServiceRequest: ${what}`);
};

/** Skips the field whose tag was just read (protobufjs refuses field number 0 and stray end-group tags). */
const skip = (r: Reader, tag: number): void => {
  r.skipType(tag & 7, 0, tag >>> 3);
};

/**
 * Enters a length-delimited field (a nested message): the reader is bounded to its end, which
 * must lie within the enclosing message. Returns the enclosing end, to restore with `r.len = outer`.
 */
function enter(r: Reader): number {
  const end = r.size() + r.pos;
  if (end > r.len) fail('length past the end of its message');
  const outer = r.len;
  r.len = end;
  return outer;
}

/**
 * A string field; OTLP strings are UTF-8 and protobufjs's decode of the same schema refuses others.
 * Decoded by Node (one flat string) rather than protobufjs's `stringVerify`, which builds short
 * strings by concatenating 8-character pieces: the same result, but several intermediate strings
 * per attribute value for the garbage collector (measured: the protobuf path's GC helper threads
 * spent ~9 ms per 1,000 spans more than JSON's). Validation is the same strict UTF-8 (no overlong
 * forms, surrogates or code points past U+10FFFF; a byte order mark is kept).
 */
function str(r: Reader): string {
  const n = r.uint32();
  const s = r.pos;
  r.skip(n); // bounds-checked: a RangeError past the end of the message
  const buf = r.buf as Buffer;
  const e = r.pos;
  for (let i = s; i < e; i++) {
    if ((buf[i] as number) >= 0x80) {
      if (!isUtf8(buf.subarray(s, e))) fail('a string field is not valid UTF-8');
      return buf.toString('utf8', s, e);
    }
  }
  return buf.toString('latin1', s, e); // ASCII: one byte per character either way
}

/** fixed64 nanoseconds (low and high 32-bit words) as integer microseconds, exactly `Number(n / 1000n)`. */
function nanosToUs(lo: number, hi: number): number {
  // n = hi * 2^32 + lo and 2^32 = 1000 * 4294967 + 296, so n / 1000 = hi * 4294967 + (hi * 296 + lo) / 1000;
  // exact in doubles while the result stays below 2^53 (until the year 2255).
  if (hi < 0x100000) return hi * 4294967 + Math.floor((hi * 296 + lo) / 1000);
  return Number(((BigInt(hi) << 32n) | BigInt(lo)) / 1000n);
}

const allZero = (b: Buffer, s: number, e: number): boolean => {
  for (let i = s; i < e; i++) if (b[i] !== 0) return false;
  return true;
};

/** AnyValue's oneof members (opentelemetry-proto common.proto field numbers); NONE when none is set. */
const NONE = 0;
const ARRAY = 5;
const KVLIST = 6;
/** The member `anyValue` last returned the value of (a second result, without allocating). */
let member = NONE;

/**
 * An AnyValue message (the reader bounded to it), continuing from `value` of member `m` (a KeyValue
 * whose value field comes more than once merges them, as protobufjs does). AnyValue's members are a
 * oneof: the last one set wins, and a message member (array, kvlist) that comes again while it is
 * the one set is merged (values appended, keys added). Sets `member`.
 */
function anyValue(r: Reader, buf: Buffer, depth: number, value: AttributeValue, m: number): AttributeValue {
  if (depth > MAX_DEPTH) {
    // Nested too deeply: null, as toSpans gives it; the bytes are skipped without being read.
    r.pos = r.len;
    member = NONE;
    return null;
  }
  while (r.pos < r.len) {
    const tag = r.tag();
    const wt = tag & 7;
    const field = tag >>> 3;
    switch (field) {
      case 1:
        if (wt !== WT_LEN) break;
        value = str(r);
        m = field;
        continue;
      case 2:
        if (wt !== WT_VARINT) break;
        value = r.bool();
        m = field;
        continue;
      case 3: {
        if (wt !== WT_VARINT) break;
        // A Long (protobufjs has util.Long) or a number; one rounding, like Number(BigInt.asIntN(64, n)).
        const v = r.int64() as protobuf.Long | number;
        value = typeof v === 'number' ? v : (v.high | 0) * 4294967296 + (v.low >>> 0);
        m = field;
        continue;
      }
      case 4:
        if (wt !== WT_I64) break;
        value = r.double();
        m = field;
        continue;
      case ARRAY: {
        if (wt !== WT_LEN) break;
        const outer = enter(r);
        const arr = m === ARRAY ? (value as AttributeValue[]) : [];
        while (r.pos < r.len) {
          const t = r.tag();
          if (t === ((1 << 3) | WT_LEN)) {
            const o = enter(r);
            arr.push(anyValue(r, buf, depth + 1, null, NONE));
            r.len = o;
          } else skip(r, t);
        }
        r.len = outer;
        value = arr;
        m = ARRAY;
        continue;
      }
      case KVLIST: {
        if (wt !== WT_LEN) break;
        const outer = enter(r);
        const kv =
          m === KVLIST
            ? (value as Record<string, AttributeValue>)
            : (Object.create(null) as Record<string, AttributeValue>);
        while (r.pos < r.len) {
          const t = r.tag();
          if (t === ((1 << 3) | WT_LEN)) keyValue(r, buf, kv, depth + 1);
          else skip(r, t);
        }
        r.len = outer;
        value = kv;
        m = KVLIST;
        continue;
      }
      case 7: {
        if (wt !== WT_LEN) break;
        const n = r.size();
        const s = r.pos;
        r.skip(n);
        value = buf.toString('base64', s, r.pos);
        m = field;
        continue;
      }
    }
    skip(r, tag);
  }
  member = m;
  return value;
}

/** A KeyValue message (its length not yet read), into `out` (a later key replaces an earlier one). */
function keyValue(r: Reader, buf: Buffer, out: Record<string, AttributeValue>, depth: number): void {
  const outer = enter(r);
  let key = '';
  let value: AttributeValue = null;
  let m = NONE;
  while (r.pos < r.len) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WT_LEN)) key = str(r);
    else if (tag === ((2 << 3) | WT_LEN)) {
      const o = enter(r);
      value = anyValue(r, buf, depth, value, m);
      m = member;
      r.len = o;
    } else skip(r, tag);
  }
  r.len = outer;
  out[key] = value;
}

/** A Resource message (its length not yet read): its attributes into `attrs` (a repeated resource merges). */
function resource(r: Reader, buf: Buffer, attrs: Record<string, AttributeValue>): void {
  const outer = enter(r);
  while (r.pos < r.len) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WT_LEN)) keyValue(r, buf, attrs, 0);
    else skip(r, tag);
  }
  r.len = outer;
}

/** Where a bytes field lies: [start, end). */
interface Span2 {
  s: number;
  e: number;
}

/** A bytes field (its length not yet read): its place, without copying it. */
function idRange(r: Reader, into: Span2): void {
  const n = r.size();
  into.s = r.pos;
  r.skip(n);
  into.e = r.pos;
}

/** A Link message: pushed when both ids have the right length (like wireId, zero ids included). */
function link(r: Reader, buf: Buffer, links: SpanLink[]): void {
  const outer = enter(r);
  const t: Span2 = { s: 0, e: 0 };
  const sp: Span2 = { s: 0, e: 0 };
  while (r.pos < r.len) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WT_LEN)) idRange(r, t);
    else if (tag === ((2 << 3) | WT_LEN)) idRange(r, sp);
    else skip(r, tag);
  }
  r.len = outer;
  if (t.e - t.s === 16 && sp.e - sp.s === 8) {
    links.push({ traceId: buf.toString('hex', t.s, t.e), spanId: buf.toString('hex', sp.s, sp.e) });
  }
}

interface Out extends DecodedExport {
  reject(reason: string): void;
}

const NO_ID = -1;

/** A Span message (its length not yet read): a domain span pushed to `out`, or a rejection counted. */
function span(r: Reader, buf: Buffer, out: Out): void {
  const outer = enter(r);
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
  while (r.pos < r.len) {
    const tag = r.tag();
    switch (tag) {
      case (1 << 3) | WT_LEN:
        idRange(r, trace);
        continue;
      case (2 << 3) | WT_LEN:
        idRange(r, id);
        continue;
      case (4 << 3) | WT_LEN:
        idRange(r, parent);
        continue;
      case (5 << 3) | WT_LEN:
        name = str(r);
        continue;
      case (6 << 3) | WT_VARINT:
        kind = r.int32();
        continue;
      case (7 << 3) | WT_I64: {
        // fixed64 is little-endian: the low word, then the high word (no Long allocated).
        const lo = r.fixed32();
        startUs = nanosToUs(lo, r.fixed32());
        continue;
      }
      case (8 << 3) | WT_I64: {
        const lo = r.fixed32();
        endUs = nanosToUs(lo, r.fixed32());
        continue;
      }
      case (9 << 3) | WT_LEN:
        keyValue(r, buf, attributes, 0);
        continue;
      case (13 << 3) | WT_LEN:
        link(r, buf, links);
        continue;
      case (15 << 3) | WT_LEN: {
        // A repeated Status merges into the earlier one (protobuf's rule, and protobufjs's).
        const o = enter(r);
        while (r.pos < r.len) {
          const t = r.tag();
          if (t === ((2 << 3) | WT_LEN)) message = str(r);
          else if (t === ((3 << 3) | WT_VARINT)) code = r.int32();
          else skip(r, t);
        }
        r.len = o;
        continue;
      }
      default:
        skip(r, tag);
    }
  }
  r.len = outer;
  const traceLen = trace.e - trace.s;
  if (trace.s === NO_ID || traceLen !== 16 || allZero(buf, trace.s, trace.e)) {
    out.reject('span with a missing or invalid traceId (16 bytes, hex)');
    return;
  }
  if (id.s === NO_ID || id.e - id.s !== 8 || allZero(buf, id.s, id.e)) {
    out.reject('span with a missing or invalid spanId (8 bytes, hex)');
    return;
  }
  const parentLen = parent.s === NO_ID ? 0 : parent.e - parent.s;
  if (parentLen !== 0 && parentLen !== 8) {
    out.reject('span with an invalid parentSpanId (8 bytes, hex)');
    return;
  }
  // Past 2^53 µs (the year 2255) microseconds are not exact: invalid, as wireNanosToUs has it.
  if (startUs === 0 || endUs < startUs || !Number.isSafeInteger(endUs)) {
    out.reject('span with missing or invalid start/end times (unix nanoseconds, end >= start)');
    return;
  }
  out.spans.push({
    traceId: buf.toString('hex', trace.s, trace.e),
    spanId: buf.toString('hex', id.s, id.e),
    parentSpanId: parentLen === 8 && !allZero(buf, parent.s, parent.e) ? buf.toString('hex', parent.s, parent.e) : null,
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

function decode(buf: Buffer): DecodedExport {
  const r = protobuf.Reader.create(buf);
  const out: Out = {
    spans: [],
    rejected: 0,
    rejectReason: null,
    reject(reason) {
      this.rejected++;
      this.rejectReason ??= reason;
    },
  };
  while (r.pos < r.len) {
    const tag = r.tag();
    if (tag !== ((1 << 3) | WT_LEN)) {
      skip(r, tag);
      continue;
    }
    // ResourceSpans: its spans take the service of its resource, wherever that field comes.
    const rsOuter = enter(r);
    const first = out.spans.length;
    let attrs: Record<string, AttributeValue> | undefined;
    while (r.pos < r.len) {
      const t = r.tag();
      if (t === ((1 << 3) | WT_LEN)) {
        resource(r, buf, (attrs ??= Object.create(null) as Record<string, AttributeValue>));
      } else if (t === ((2 << 3) | WT_LEN)) {
        const ssOuter = enter(r);
        while (r.pos < r.len) {
          const st = r.tag();
          if (st === ((2 << 3) | WT_LEN)) span(r, buf, out);
          else skip(r, st);
        }
        r.len = ssOuter;
      } else skip(r, t);
    }
    r.len = rsOuter;
    const name = attrs?.['service.name'];
    const service = typeof name === 'string' && name !== '' ? name : 'unknown_service';
    const spans: SpanData[] = out.spans;
    for (let i = first; i < spans.length; i++) (spans[i] as SpanData).service = service;
  }
  return { spans: out.spans, rejected: out.rejected, rejectReason: out.rejectReason };
}

/** Decodes an ExportTraceServiceRequest into domain spans; MalformedExport when the bytes are not one. */
export function decodeProtobufSpans(body: Uint8Array): DecodedExport {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  try {
    return decode(buf);
  } catch (err) {
    if (err instanceof MalformedExport) throw err;
    // protobufjs's Reader: RangeError for a read past the end of the (bounded) message, Error for a
    // bad tag, varint, length or wire type. Anything else is a bug here, not a bad request.
    if (err instanceof RangeError) fail(`a field runs past the end of its message (${err.message})`);
    if (err instanceof Error && err.constructor === Error) fail(err.message);
    throw err;
  }
}
