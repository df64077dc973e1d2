/**
 * Ingest into the SQLite store, and the saga state machine it drives: a batch of publishes,
 * deliveries and records joined to what the store holds (event ids resolved by position or
 * producer span, queue times, duplicates) and folded into one row per saga.
 */
import type { Delivery, IngestBatch, IngestResult, Publish, RecordRef, SagaOutcome, SagaSummary } from './types.ts';
import { hexBuf, sagaEnd, toDelivery, toSaga } from './sqlite-rows.ts';
import type { EarlyDeliveryRow, PublishRefRow, PublishTimeRow, SagaRow } from './sqlite-rows.ts';
import type { Conn } from './sqlite-statements.ts';

/** The earliest publish to `topic` (the first of equals, as ORDER BY time_us over the index gives). */
export function firstPublishTo(rows: PublishTimeRow[], topic: string): PublishTimeRow | undefined {
  let first: PublishTimeRow | undefined;
  for (const r of rows) if (r.topic === topic && (first === undefined || r.time_us < first.time_us)) first = r;
  return first;
}

/** A saga row as one ingest batch sees it: read once, changed in memory, written at the end. */
export interface SagaSlot {
  /** The saga as of now in this batch; undefined while it has no row. */
  row: SagaRow | undefined;
  /** Created in this batch (counted once when written). */
  isNew: boolean;
  dirty: boolean;
  /** Its held-back end is released by this batch (reported once the whole batch is applied). */
  release?: boolean;
}

/** What one ingest batch writes once at its end. */
export interface BatchWrites {
  sagas: Map<string, SagaSlot>;
  records: Map<string, RecordRef>;
  groupPartitions: Map<string, { group: string; topic: string; partition: number; offset: number }>;
  /** (trace, saga) pairs seen in the batch, with their time range. */
  traces: Map<string, { traceId: Buffer; corr: string; firstUs: number; lastUs: number }>;
}

/** Notes that a span of `traceId` (in saga `corr`, '' for none) was stored at `timeUs`. */
export function mergeTrace(pending: BatchWrites['traces'], traceId: Buffer, corr: string | null, timeUs: number): void {
  const key = `${traceId.toString('latin1')}\u0000${corr ?? ''}`;
  const t = pending.get(key);
  if (!t) pending.set(key, { traceId, corr: corr ?? '', firstUs: timeUs, lastUs: timeUs });
  else {
    if (timeUs < t.firstUs) t.firstUs = timeUs;
    if (timeUs > t.lastUs) t.lastUs = timeUs;
  }
}

/** Merges a record sighting into the batch's pending records as the upsert would: earliest time, first ids seen. */
export function mergeRecord(
  pending: Map<string, RecordRef>,
  topic: string,
  partition: number,
  offset: number,
  timestampUs: number,
  eventId: string | null,
  correlationId: string | null,
): void {
  const key = `${topic}\u0000${partition}\u0000${offset}`;
  const r = pending.get(key);
  if (!r) {
    pending.set(key, { topic, partition, offset, timestampUs, eventId, correlationId });
    return;
  }
  if (timestampUs < r.timestampUs) r.timestampUs = timestampUs;
  r.eventId ??= eventId;
  r.correlationId ??= correlationId;
}

/** Deliveries that arrived before publish `p` get their queue time now. */
export function timeEarlyDeliveries(result: IngestResult, p: Publish, early: EarlyDeliveryRow[]): void {
  for (const d of early) {
    result.hopTimings.push({
      topic: p.topic,
      group: d.grp,
      service: d.service,
      queueUs: Math.max(0, d.start_us - p.timeUs),
      processingUs: d.end_us - d.start_us,
    });
  }
}

/** Publish `p` joins its saga, and so do the deliveries it resolved (link-only ones that came first). */
export function publishJoinsSaga(
  c: SagaSource,
  w: BatchWrites,
  result: IngestResult,
  p: Publish,
  resolved: Delivery[],
): void {
  const changed = sagaOnPublish(c, w.sagas, p);
  if (changed) result.sagasChanged.push(changed);
  // They join the saga now: last activity, DLQ steps, and its end if this event is terminal.
  for (const d of resolved) {
    const ended = sagaOnDelivery(c, w.sagas, {
      ...d,
      eventId: p.eventId,
      eventType: p.eventType,
      correlationId: p.correlationId,
      terminal: p.terminal,
      compensation: p.compensation,
      sagaType: p.sagaType,
    });
    if (ended) result.sagasEnded.push(ended);
  }
}

/** A delivery without an event id takes the one of the record at its position, when known. */
export function resolveByRecord(
  d: Delivery,
  rec: { event_id: string | null; correlation_id: string | null } | undefined,
): void {
  if (rec?.event_id) {
    d.eventId = rec.event_id;
    d.correlationId ??= rec.correlation_id;
  }
}

/** A delivery without an event id takes the event of the producer span it links to, when found. */
export function resolveByPublish(d: Delivery, pub: PublishRefRow | undefined): void {
  if (pub?.event_id) {
    d.eventId = pub.event_id;
    d.correlationId ??= pub.correlation_id;
    d.eventType ??= pub.event_type;
  }
}

/** The publish is the authority on what the event is: `d` takes it; returns the publish time. */
export function adoptPublish(d: Delivery, pub: PublishTimeRow | undefined): number | undefined {
  if (!pub) return undefined;
  d.correlationId ??= pub.correlation_id;
  d.eventType = pub.event_type ?? d.eventType;
  d.terminal ??= pub.terminal;
  d.compensation ||= pub.compensation === 1;
  return pub.time_us;
}

/** What a stored delivery adds to the batch: its trace, group partition and record, and its hop timing. */
export function noteDelivery(
  w: BatchWrites,
  result: IngestResult,
  d: Delivery,
  traceId: Buffer,
  publishUs: number | undefined,
): void {
  mergeTrace(w.traces, traceId, d.correlationId, d.startUs);
  if (d.partition !== null && d.offset !== null) {
    const key = `${d.group}\u0000${d.topic}\u0000${d.partition}`;
    const gp = w.groupPartitions.get(key);
    if (!gp) w.groupPartitions.set(key, { group: d.group, topic: d.topic, partition: d.partition, offset: d.offset });
    else if (d.offset < gp.offset) gp.offset = d.offset;
    mergeRecord(w.records, d.topic, d.partition, d.offset, d.startUs, d.eventId, d.correlationId);
  }
  if (publishUs !== undefined) {
    result.hopTimings.push({
      topic: d.topic,
      group: d.group,
      service: d.service,
      queueUs: Math.max(0, d.startUs - publishUs),
      processingUs: d.endUs - d.startUs,
    });
  }
}

/**
 * One batch in one transaction, with as few statements per hop as the joins allow: saga rows
 * are read once per correlation id and written once at the end; records and group partitions
 * seen several times in a batch (a publish and its deliveries share a position) are merged and
 * upserted once; the link-only joins run only while the store holds link-only deliveries.
 * The result is the same as applying the hops one by one.
 */
export function ingestBatch(c: Conn, batch: IngestBatch): IngestResult {
  const s = c.s;
  const nowS = Math.floor(Date.now() / 1000);
  const result: IngestResult = { hopTimings: [], duplicates: [], sagasEnded: [], sagasChanged: [] };
  const w: BatchWrites = { sagas: new Map(), records: new Map(), groupPartitions: new Map(), traces: new Map() };

  for (const r of batch.records) putRecord(c, nowS, r, true);

  // Deliveries with no event id of their own (eachBatch: a span link only) wait for their
  // publish; when the store holds none, no publish can resolve one, so skip those two lookups.
  const linkOnlyStored = s.anyLinkOnly.get() !== undefined;

  // Publishes first, so a delivery in the same batch finds its publish.
  for (const p of batch.publishes) {
    const spanId = hexBuf(p.spanId);
    const traceId = hexBuf(p.traceId);
    const info = s.insPublish.run(
      nowS,
      p.eventId,
      p.eventType,
      p.correlationId,
      p.causationId,
      p.topic,
      p.partition,
      p.offset,
      p.timeUs,
      p.endUs,
      p.service,
      traceId,
      spanId,
      p.sagaType,
      p.compensation ? 1 : 0,
      p.terminal,
    );
    if (info.changes === 0) continue; // the same span again (an exporter retry)
    c.rows.publishes++;
    mergeTrace(w.traces, traceId, p.correlationId, p.timeUs);
    const resolved: Delivery[] = [];
    if (p.eventId !== null) {
      if (linkOnlyStored) {
        for (const r of s.deliveriesByOrigin.all(spanId)) {
          if (r.correlation_id === null) resolved.push(toDelivery(r));
        }
        s.backfillByOrigin.run(p.eventId, p.correlationId, p.eventType, spanId);
      }
      if (p.partition !== null && p.offset !== null) {
        mergeRecord(w.records, p.topic, p.partition, p.offset, p.timeUs, p.eventId, p.correlationId);
      }
      // Deliveries that arrived before this publish get their queue time now, unless an
      // earlier-arrived publish of the event to this topic already timed them.
      const early = s.deliveriesByEventTopic.all(p.eventId, p.topic);
      if (early.length > 0 && s.otherPublishTo.get(p.eventId, p.topic, spanId) === undefined) {
        timeEarlyDeliveries(result, p, early);
      }
    }
    if (p.correlationId !== null) publishJoinsSaga(c, w, result, p, resolved);
  }

  for (const d0 of batch.deliveries) {
    const d = { ...d0 };
    const traceId = hexBuf(d.traceId);
    // Resolve the event: (topic, partition, offset) first, then the producer span.
    if (d.eventId === null && d.partition !== null && d.offset !== null) {
      flushRecords(c, nowS, w.records); // the lookup must see this batch's records too
      resolveByRecord(d, s.recordByTpo.get(d.topic, d.partition, d.offset));
    }
    if (d.eventId === null && d.originSpanId !== null) {
      flushTraces(c, w.traces); // the producer span may be in this batch
      resolveByPublish(d, publishBySpan(c, d.originTraceId ?? d.traceId, d.originSpanId));
    }
    let publishUs: number | undefined;
    let priorProcessed = 0;
    if (d.eventId !== null) {
      publishUs = adoptPublish(d, firstPublishTo(s.publishesOfEvent.all(d.eventId), d.topic));
      if (d.outcome === 'processed') priorProcessed = s.processedCount.get(d.eventId, d.group)?.n ?? 0;
    }
    const info = s.insDelivery.run(
      nowS,
      d.eventId,
      d.eventType,
      d.correlationId,
      d.topic,
      d.partition,
      d.offset,
      d.group,
      d.service,
      d.startUs,
      d.endUs,
      d.outcome,
      d.attempt,
      d.dlqTopic,
      traceId,
      hexBuf(d.spanId),
      d.originSpanId === null ? null : hexBuf(d.originSpanId),
      d.terminal,
      d.compensation ? 1 : 0,
      d.causationId ?? null,
    );
    if (info.changes === 0) continue;
    c.rows.deliveries++;
    noteDelivery(w, result, d, traceId, publishUs);
    if (priorProcessed > 0 && d.eventId !== null) {
      s.upsDuplicate.run(d.eventId, d.group, priorProcessed + 1, d.startUs, d.startUs);
      result.duplicates.push({ eventId: d.eventId, group: d.group });
    }
    if (d.correlationId !== null) {
      const ended = sagaOnDelivery(c, w.sagas, d);
      if (ended) result.sagasEnded.push(ended);
    }
  }

  flushRecords(c, nowS, w.records);
  flushTraces(c, w.traces);
  for (const gp of w.groupPartitions.values()) s.upsGroupPartition.run(gp.group, gp.topic, gp.partition, gp.offset);
  const updatedS = Math.floor(Date.now() / 1000);
  for (const slot of w.sagas.values()) {
    if (!slot.row || !slot.dirty) continue;
    if (slot.release) result.sagasEnded.push(sagaEnd(slot.row));
    slot.row.updated_s = updatedS;
    s.insSaga.run(slot.row);
    if (slot.isNew) c.rows.sagas++;
  }
  return result;
}

function flushTraces(c: Conn, pending: BatchWrites['traces']): void {
  for (const t of pending.values()) c.s.upsTrace.run(t.traceId, t.corr, t.firstUs, t.lastUs);
  pending.clear();
}

/** The publish with this span id, found through its trace's sagas and time range (no span-id index). */
function publishBySpan(c: Conn, traceIdHex: string, spanIdHex: string): PublishRefRow | undefined {
  const s = c.s;
  const spanId = hexBuf(spanIdHex);
  for (const t of s.tracePlaces.all(hexBuf(traceIdHex))) {
    const pub =
      t.corr !== ''
        ? s.publishBySpanInSaga.get(t.corr, spanId)
        : s.publishBySpanInTime.get(t.first_us, t.last_us, spanId);
    if (pub) return pub;
  }
  return undefined;
}

function flushRecords(c: Conn, nowS: number, pending: Map<string, RecordRef>): void {
  for (const r of pending.values()) putRecord(c, nowS, r);
  pending.clear();
}

function putRecord(c: Conn, nowS: number, r: RecordRef, backfill = false): void {
  c.s.upsRecord.run(nowS, r.topic, r.partition, r.offset, r.timestampUs, r.eventId, r.correlationId);
  if (backfill && r.eventId !== null) {
    c.s.backfillByTpo.run(r.eventId, r.correlationId, r.topic, r.partition, r.offset);
  }
}

/**
 * Where the saga state machine reads a saga row it has no slot for yet (the SQLite connection;
 * the PostgreSQL store loads every slot before it calls the machine).
 */
export interface SagaSource {
  s: { saga: { get(correlationId: string): SagaRow | undefined } };
}

/** The batch's copy of a saga row: read once, changed in memory, written at the end of the batch. */
function sagaSlot(c: SagaSource, slots: Map<string, SagaSlot>, id: string): SagaSlot {
  let slot = slots.get(id);
  if (!slot) {
    slot = { row: c.s.saga.get(id), isNew: false, dirty: false };
    slots.set(id, slot);
  }
  return slot;
}

/** Whether processing an event of this terminal kind gives this outcome ('failed' may have become 'compensated'). */
function endsAs(terminal: SagaOutcome, outcome: SagaOutcome): boolean {
  return terminal === outcome || (terminal === 'failed' && outcome === 'compensated');
}

/**
 * A publish joins its saga. The root publish (no causation id) an end was held back for
 * releases it (reported at the end of the batch, with the rest of the batch applied). A
 * compensation that arrives after the terminal delivery turns `failed` into `compensated`;
 * when that end was already reported, the change is returned (metrics count it).
 */
export function sagaOnPublish(
  c: SagaSource,
  slots: Map<string, SagaSlot>,
  p: Publish,
): IngestResult['sagasChanged'][number] | undefined {
  const id = p.correlationId as string;
  const slot = sagaSlot(c, slots, id);
  const old = slot.row;
  slot.dirty = true;
  const root = p.causationId === null;
  if (!old) {
    slot.isNew = true;
    slot.row = {
      correlation_id: id,
      saga_type: p.sagaType,
      first_us: p.timeUs,
      first_is_publish: 1,
      last_us: p.endUs,
      outcome: null,
      terminal_type: null,
      terminal_us: null,
      hops: 1,
      compensations: p.compensation ? 1 : 0,
      dlq_steps: 0,
      stuck_reported: 0,
      updated_s: 0,
      root_us: root ? p.timeUs : null,
      end_held: 0,
    };
    return undefined;
  }
  const earlier = old.first_is_publish === 0 || p.timeUs < old.first_us;
  // Once a terminal delivery has named the saga's type, publishes no longer change it.
  if (old.outcome === null) old.saga_type = earlier && p.sagaType !== null ? p.sagaType : (old.saga_type ?? p.sagaType);
  old.first_us = earlier ? p.timeUs : old.first_us;
  old.first_is_publish = 1;
  old.last_us = Math.max(old.last_us, p.endUs);
  old.hops += 1;
  old.stuck_reported = 0;
  let changed: IngestResult['sagasChanged'][number] | undefined;
  if (p.compensation) {
    old.compensations += 1;
    if (old.outcome === 'failed') {
      old.outcome = 'compensated';
      // A held end is reported later with its current outcome; a reported one changes now.
      if (old.end_held === 0) {
        changed = { correlationId: id, sagaType: old.saga_type ?? 'unknown', from: 'failed', to: 'compensated' };
      }
    }
  }
  // A terminal delivery that came before its publish named no event type: the publish does.
  if (old.outcome !== null && old.terminal_type === null && p.terminal !== null && endsAs(p.terminal, old.outcome)) {
    old.terminal_type = p.eventType;
  }
  if (root && (old.root_us === null || p.timeUs < old.root_us)) old.root_us = p.timeUs;
  if (old.end_held === 1 && old.root_us !== null) {
    old.end_held = 0;
    slot.release = true;
  }
  return changed;
}

/**
 * A delivery joins its saga. The first processed terminal delivery ends it; its end (for
 * metrics) is returned at once when the saga's root publish is known, and otherwise held back
 * until that publish arrives (exporters send spans in their own order: the terminal delivery
 * can come before `order.placed`) or `takeHeldEnds` reports it. End-to-end latency ends at the
 * start of the earliest processed terminal delivery, whichever arrives first.
 */
export function sagaOnDelivery(
  c: SagaSource,
  slots: Map<string, SagaSlot>,
  d: Delivery,
): IngestResult['sagasEnded'][number] | undefined {
  const id = d.correlationId as string;
  const slot = sagaSlot(c, slots, id);
  slot.dirty = true;
  let row = slot.row;
  if (row) {
    row.last_us = Math.max(row.last_us, d.endUs);
    row.stuck_reported = 0;
  } else {
    slot.isNew = true;
    row = {
      correlation_id: id,
      saga_type: null,
      // Provisional until a publish of the saga arrives (first_is_publish = 0).
      first_us: d.startUs,
      first_is_publish: 0,
      last_us: d.endUs,
      outcome: null,
      terminal_type: null,
      terminal_us: null,
      hops: 0,
      compensations: 0,
      dlq_steps: 0,
      stuck_reported: 0,
      updated_s: 0,
      root_us: null,
      end_held: 0,
    };
    slot.row = row;
  }
  if (d.outcome === 'dead_lettered') row.dlq_steps++;
  if (d.terminal === null || d.outcome !== 'processed') return undefined;
  if (row.outcome !== null) {
    if (row.terminal_us !== null && d.startUs < row.terminal_us) row.terminal_us = d.startUs;
    return undefined;
  }
  row.outcome = d.terminal === 'failed' && row.compensations > 0 ? 'compensated' : d.terminal;
  row.terminal_type = d.eventType;
  row.terminal_us = d.startUs;
  if (d.sagaType !== undefined && d.sagaType !== null) row.saga_type = d.sagaType;
  if (row.root_us === null) {
    row.end_held = 1;
    return undefined;
  }
  return sagaEnd(row);
}

/** Reports (once) the held-back ends of sagas quiet since `beforeUs` whose root publish never came. */
export function takeHeldEnds(c: Conn, beforeUs: number, limit: number): IngestResult['sagasEnded'] {
  const rows = c.db.transaction(() => {
    const found = c.s.heldEnds.all(beforeUs, limit);
    for (const r of found) c.s.releaseEnd.run(r.correlation_id);
    return found;
  })();
  return rows.map(sagaEnd);
}

/** Marks (once) the open sagas quiet since `beforeUs` as reported stuck. */
export function takeNewlyStuck(c: Conn, beforeUs: number, limit: number): SagaSummary[] {
  const rows = c.db.transaction(() => {
    const found = c.s.newlyStuck.all(beforeUs, limit);
    for (const r of found) c.s.markStuck.run(r.correlation_id);
    return found;
  })();
  return rows.map(toSaga);
}
