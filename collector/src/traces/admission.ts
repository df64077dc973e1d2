/**
 * What both OTLP receivers (HTTP in receiver.ts, gRPC in grpc/) do with an export once it is
 * decoded, written once so their limits and semantics are the same: the span time window, the
 * intake queue's room and fair shares, the refusal before decoding of a client known by its
 * address alone, and the span counters. The transports only map the outcome to their statuses
 * (HTTP 503 + Retry-After; gRPC UNAVAILABLE / RESOURCE_EXHAUSTED with RetryInfo).
 */
import type { Counter } from 'prom-client';
import type { IntakeQueue, OnStored } from './intake.ts';
import type { DecodedExport, SpanData } from './span.ts';

export interface ReceiverMetrics {
  accepted: Counter<string>;
  rejected: Counter<'reason'>;
  requests: Counter<'encoding' | 'code'>;
}

export interface ReceiverOptions {
  intake: IntakeQueue;
  bodyLimit: number;
  metrics: ReceiverMetrics;
  /** Spans must start no earlier than this before now (the store's retention: older is deleted anyway). */
  maxAgeMs: number;
  /** ... and end no later than this after now (clock skew); later spans pinned their sagas to the top. */
  maxFutureMs: number;
}

/** Seconds an exporter should wait before retrying a refused export (HTTP Retry-After, gRPC RetryInfo). */
export const RETRY_AFTER_SECONDS = 1;

/**
 * Keeps the spans whose start and end lie in [now - maxAgeMs, now + maxFutureMs]; the others are
 * rejected (counted in `decoded`, reported in partialSuccess). A span dated in the year 2500 or at
 * u64 max nanoseconds stayed in_flight at the top of the saga list forever, and the cursor after it
 * was past what the store could page from.
 */
export function rejectOutsideWindow(
  decoded: DecodedExport,
  nowMs: number,
  window: { maxAgeMs: number; maxFutureMs: number },
): number {
  const minUs = (nowMs - window.maxAgeMs) * 1000;
  const maxUs = (nowMs + window.maxFutureMs) * 1000;
  const inside = (s: SpanData): boolean => s.startUs >= minUs && s.endUs <= maxUs;
  // Every span of an export inside, the common case: no copy of the array.
  if (decoded.spans.every(inside)) return 0;
  const kept = decoded.spans.filter(inside);
  const dropped = decoded.spans.length - kept.length;
  decoded.spans = kept;
  decoded.rejected += dropped;
  decoded.rejectReason ??= `span with a start or end outside ${new Date(minUs / 1000).toISOString()} .. ${new Date(maxUs / 1000).toISOString()} (at most ${window.maxAgeMs / 3_600_000} h old, ${window.maxFutureMs / 1000} s ahead of the collector's clock)`;
  return dropped;
}

/**
 * Who sent an export, for the intake queue's fair shares: the service.name of its (first)
 * resource, or the remote address when the exporter did not name its service.
 */
export function clientOf(decoded: DecodedExport, remoteAddress: string): string {
  const service = decoded.spans[0]?.service;
  return service !== undefined && service !== 'unknown_service' ? `service ${service}` : `address ${remoteAddress}`;
}

/**
 * Why an export was refused: `full` the queue has no room (or is closing): the whole collector is
 * overloaded; `share` this client holds more than its fair share of a queue under pressure.
 * Either way nothing of it was taken, and a retry after a moment can succeed.
 */
export type AdmissionOutcome =
  | { accepted: true; rejected: number; rejectReason: string | null }
  | { accepted: false; refusal: 'full' | 'share'; message: string };

/** The admission of one receiver: it remembers the last refused request per remote address. */
export class ExportAdmission {
  readonly #opts: ReceiverOptions;
  /** Spans of the last request refused for room, per remote address (until one from there is taken). */
  readonly #refusedByAddress = new Map<string, number>();

  constructor(opts: ReceiverOptions) {
    this.#opts = opts;
  }

  /**
   * A refusal message when a request from this address is refused before it is inflated and
   * decoded: while a request like the last one refused from there cannot fit (its spans are
   * unknown, so only the request is counted). `admit` decides exactly. Per address: a flooder's
   * big requests must not refuse the others here.
   */
  refuseEarly(address: string): string | undefined {
    const { intake } = this.#opts;
    const lastRefused = this.#refusedByAddress.get(address);
    return intake.wouldRefuse(lastRefused ?? 0) ? `intake queue full (${intake.limit} spans); retry later` : undefined;
  }

  /**
   * Applies the time window, then offers the spans to the intake queue; counts spans either way.
   * `onStored` (taken exports only) is called once the store is done with them (intake.ts `offer`).
   */
  admit(decoded: DecodedExport, address: string, onStored?: OnStored): AdmissionOutcome {
    const { intake, metrics } = this.#opts;
    const outside = rejectOutsideWindow(decoded, Date.now(), this.#opts);
    const client = clientOf(decoded, address);
    if (!intake.offer(decoded.spans, client, onStored)) {
      // Remembered only for a client known by its address alone: services sharing an address (an
      // agent, one host) cannot be told apart before decoding, and one must not refuse the others.
      if (client === `address ${address}`) {
        if (this.#refusedByAddress.size >= 10_000) this.#refusedByAddress.clear(); // bounded: addresses are many
        this.#refusedByAddress.set(address, decoded.spans.length);
      }
      if (intake.lastRefusal === 'share') {
        metrics.rejected.inc({ reason: 'fair_share' }, decoded.spans.length);
        return {
          accepted: false,
          refusal: 'share',
          message: `intake queue under pressure and ${client} holds ${intake.heldBy(client)} spans, more than its fair share (${intake.fairShare(client)}); retry later`,
        };
      }
      metrics.rejected.inc({ reason: 'queue_full' }, decoded.spans.length);
      const message =
        intake.lastRefusal === 'closed'
          ? 'the collector is shutting down; retry later (another collector, or this one after its restart)'
          : `intake queue full (${intake.limit} spans); retry later`;
      return { accepted: false, refusal: 'full', message };
    }
    this.#refusedByAddress.delete(address);
    metrics.accepted.inc(decoded.spans.length);
    if (outside > 0) metrics.rejected.inc({ reason: 'time_window' }, outside);
    if (decoded.rejected > outside) metrics.rejected.inc({ reason: 'invalid' }, decoded.rejected - outside);
    return { accepted: true, rejected: decoded.rejected, rejectReason: decoded.rejectReason };
  }
}
