/**
 * The domain span: what the OTLP boundary (traces/otlp) produces and flows/ consumes.
 * Ids are lowercase hex, times integer microseconds since the Unix epoch, attributes plain
 * values. Nothing here knows about nanosecond strings, Longs or base64.
 */
export type SpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

export interface SpanLink {
  traceId: string;
  spanId: string;
}

export interface SpanData {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: SpanKind;
  startUs: number;
  endUs: number;
  attributes: Record<string, AttributeValue>;
  links: SpanLink[];
  status: 'unset' | 'ok' | 'error';
  statusMessage: string | null;
  /** `service.name` of the resource. */
  service: string;
}

/** Result of decoding one export request: accepted spans plus what was rejected and why. */
export interface DecodedExport {
  spans: SpanData[];
  rejected: number;
  /** The first rejection reason, for `partialSuccess.errorMessage`. */
  rejectReason: string | null;
}
