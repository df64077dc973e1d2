/**
 * The flows API: where is my event, traces, sagas, search, audit. Reads the store and every
 * Kafka cluster's last snapshot (`app.clusters`); never calls Kafka.
 */
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { badRequest, notFound } from '../errors.ts';
import type { EventHops, FindingClass, SagaStatus, UnaccountedEntry } from '../store/types.ts';
import { ClusterLookup, type ClusterOffsets } from './clusters.ts';
import type { FlowMap } from './flow-map.ts';
import {
  AuditView,
  CURSOR_MAX_LENGTH,
  ErrorView,
  EventView,
  FindingClassView,
  RecordView,
  FlowMapView,
  ID_MAX_LENGTH,
  ID_PATTERN,
  SagaPageView,
  SagaStatusSchema,
  SagaView,
  SearchView,
  TOPIC_PATTERN,
  TRACE_ID_PATTERN,
  TraceView,
} from './schemas.ts';
import { joinLinkedTraces } from './trace-join.ts';
import { deliveryView, eventView, publishView, sagaListItem, sagaView } from './views.ts';

const errors = { 400: ErrorView, 404: ErrorView };
const ID_RE = new RegExp(ID_PATTERN);
const TOPIC_RE = new RegExp(TOPIC_PATTERN);
/** A record's coordinates as the search box takes them: `<topic>/<partition>/<offset>`. */
const COORDINATES_RE = /^([A-Za-z0-9._-]{1,249})\/(\d{1,10})\/(\d{1,16})$/;
/** A search of at least this many characters that names no id exactly looks for ids starting with it. */
const SEARCH_PREFIX_MIN = 4;
/** Prefix matches listed per kind (the search page lists them to choose from). */
const SEARCH_PREFIX_MATCHES = 10;
/** Partition and offset path segments: non-negative integers JavaScript holds exactly. */
function position(raw: string, what: string): number {
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw badRequest(`${what} '${raw.slice(0, 40)}' is not a non-negative integer`);
  return n;
}
/**
 * The topic a duplicate (an event a group processed twice) is counted on: the store keeps the
 * event id and the group only; the topic is that of the group's latest delivery of the event (a
 * processed one first); undefined when retention dropped them.
 */
function duplicateTopic(hops: EventHops, group: string): string | undefined {
  const mine = hops.deliveries.filter((d) => d.group === group);
  const processed = mine.filter((d) => d.outcome === 'processed');
  const latest = (processed.length > 0 ? processed : mine).reduce<(typeof mine)[number] | undefined>(
    (best, d) => (best === undefined || d.startUs > best.startUs ? d : best),
    undefined,
  );
  return latest?.topic;
}

/** A saga cursor as the store makes it: `<first start, integer µs>~<correlation id>`. */
const CURSOR_RE = /^(\d{1,16})~([\s\S]+)$/;

/** Checks a saga cursor fully, so the store never sees one it cannot use (it threw, a 500). */
function checkCursor(cursor: string): void {
  const m = CURSOR_RE.exec(cursor);
  if (!m || !Number.isSafeInteger(Number(m[1]))) {
    throw badRequest(
      `cursor '${cursor.slice(0, 80)}' is not valid: expected <start time, µs, at most 2^53-1>~<correlation id>, as nextCursor gives it`,
    );
  }
}

export function flowRoutes(app: FastifyInstance, stuckAfterMs: number, flowMap: FlowMap): void {
  const stuckAfterUs = stuckAfterMs * 1000;
  /** Every cluster with its last snapshot, the primary first (flows/clusters.ts). */
  const clusters = (): ClusterOffsets[] => [...app.clusters.values()];
  /**
   * The cluster of each (group, topic) of one answer, by the rule of the event view and the loss
   * audit (ClusterLookup.clusterOf): the store keeps no cluster, so it is worked out when answering.
   */
  const clusterNames = (): { of: (group: string, topic: string) => string; primary: string } => {
    const lookup = new ClusterLookup(clusters());
    return { of: (group, topic) => lookup.clusterOf(group, topic).name, primary: lookup.primary.name };
  };
  // Path ids are checked in the handler so a bad id is a 400 naming the rule, not a generic schema error.
  const checkId = (id: string, what: string): void => {
    if (id.length > ID_MAX_LENGTH) {
      throw badRequest(`${what} '${id.slice(0, 80)}...' is longer than ${ID_MAX_LENGTH} characters (${id.length})`);
    }
    if (!ID_RE.test(id)) throw badRequest(`${what} '${id.slice(0, 80)}' is not a valid id (${ID_PATTERN})`);
  };

  app.get(
    '/api/events/:eventId',
    {
      schema: {
        tags: ['flows'],
        summary: 'Where is my event: its publish, every group that processed it, and where it waits for the others',
        params: Type.Object({ eventId: Type.String() }),
        response: { 200: EventView, ...errors },
      },
    },
    async (req) => {
      const { eventId } = req.params as { eventId: string };
      checkId(eventId, 'event id');
      const hops = await app.store.event(eventId);
      if (hops.publishes.length === 0 && hops.deliveries.length === 0 && hops.records.length === 0) {
        throw notFound(`no event with id ${eventId}`);
      }
      return eventView(eventId, hops, clusters());
    },
  );

  app.get(
    '/api/records/:topic/:partition/:offset',
    {
      schema: {
        tags: ['flows'],
        summary:
          'A record by its coordinates (e.g. from DLQ headers): its event id, the event, and the deliveries at that position',
        params: Type.Object({ topic: Type.String(), partition: Type.String(), offset: Type.String() }),
        response: { 200: RecordView, ...errors },
      },
    },
    async (req) => {
      const p = req.params as { topic: string; partition: string; offset: string };
      if (!TOPIC_RE.test(p.topic))
        throw badRequest(`topic '${p.topic.slice(0, 80)}' is not a Kafka topic name (${TOPIC_PATTERN})`);
      const partition = position(p.partition, 'partition');
      const offset = position(p.offset, 'offset');
      const { record, deliveries } = await app.store.recordAt(p.topic, partition, offset);
      if (record === null && deliveries.length === 0) {
        throw notFound(`nothing known of ${p.topic}/${partition}/${offset}`);
      }
      const eventId = record?.eventId ?? deliveries.find((d) => d.eventId !== null)?.eventId ?? null;
      const hops = eventId !== null ? await app.store.event(eventId) : undefined;
      return {
        topic: p.topic,
        partition,
        offset,
        timestampMs: record ? record.timestampUs / 1000 : null,
        eventId,
        correlationId: record?.correlationId ?? deliveries.find((d) => d.correlationId !== null)?.correlationId ?? null,
        event: eventId !== null && hops ? eventView(eventId, hops, clusters()) : null,
        deliveries: deliveries.map((d) => deliveryView(d, hops?.publishes ?? [])),
      };
    },
  );

  app.get(
    '/api/traces/:traceId',
    {
      schema: {
        tags: ['flows'],
        summary:
          'The hops (publishes, deliveries) of one trace joined with the traces its spans link to (eachBatch consumers), and the events and sagas they touch',
        params: Type.Object({ traceId: Type.String() }),
        response: { 200: TraceView, ...errors },
      },
    },
    async (req) => {
      const { traceId } = req.params as { traceId: string };
      if (!new RegExp(TRACE_ID_PATTERN).test(traceId) || /^0+$/.test(traceId)) {
        throw badRequest(`trace id '${traceId.slice(0, 80)}' must be 32 hex digits, not all zero`);
      }
      const t = await joinLinkedTraces(app.store, traceId.toLowerCase());
      if (t.publishes.length === 0 && t.deliveries.length === 0) throw notFound(`no trace with id ${traceId}`);
      const eventIds = new Set<string>();
      const corr = new Set<string>();
      for (const h of [...t.publishes, ...t.deliveries]) {
        if (h.eventId) eventIds.add(h.eventId);
        if (h.correlationId) corr.add(h.correlationId);
      }
      return {
        traceId: traceId.toLowerCase(),
        publishes: t.publishes.map(publishView),
        deliveries: t.deliveries.map((d) => ({ ...deliveryView(d, t.publishes), eventId: d.eventId })),
        eventIds: [...eventIds],
        correlationIds: [...corr],
      };
    },
  );

  app.get(
    '/api/sagas',
    {
      schema: {
        tags: ['flows'],
        summary: 'Sagas, newest first: filter by status, type, start time, correlation id prefix; keyset paging',
        querystring: Type.Object({
          status: Type.Optional(SagaStatusSchema),
          type: Type.Optional(Type.String({ maxLength: 200 })),
          from: Type.Optional(Type.String({ description: 'ISO 8601 or ms since epoch: started at or after' })),
          to: Type.Optional(Type.String({ description: 'ISO 8601 or ms since epoch: started before' })),
          q: Type.Optional(Type.String({ maxLength: 200, description: 'correlation id (prefix)' })),
          group: Type.Optional(
            Type.String({ minLength: 1, maxLength: 255, description: 'sagas this consumer group took part in' }),
          ),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
          cursor: Type.Optional(
            Type.String({ maxLength: CURSOR_MAX_LENGTH, description: 'nextCursor of the previous page, as given' }),
          ),
        }),
        response: { 200: SagaPageView, 400: ErrorView },
      },
    },
    async (req) => {
      const q = req.query as {
        status?: SagaStatus;
        type?: string;
        from?: string;
        to?: string;
        q?: string;
        group?: string;
        limit?: number;
        cursor?: string;
      };
      const time = (v: string | undefined, name: string): number | undefined => {
        if (v === undefined || v === '') return undefined;
        const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v);
        if (!Number.isFinite(n)) throw badRequest(`${name} '${v}' is not a time (ISO 8601 or ms since epoch)`);
        return Math.round(n * 1000);
      };
      if (q.cursor !== undefined) checkCursor(q.cursor);
      const nowUs = Date.now() * 1000;
      const page = await app.store.sagas({
        status: q.status,
        sagaType: q.type,
        fromUs: time(q.from, 'from'),
        toUs: time(q.to, 'to'),
        correlationIdPrefix: q.q,
        group: q.group,
        limit: q.limit ?? 50,
        cursor: q.cursor,
        nowUs,
        stuckAfterUs,
      });
      return { items: page.items.map((s) => sagaListItem(s, nowUs, stuckAfterUs)), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/api/sagas/:correlationId',
    {
      schema: {
        tags: ['flows'],
        summary: 'One saga: its hops on a time axis, queue and processing times, pending hops with positions',
        params: Type.Object({ correlationId: Type.String() }),
        response: { 200: SagaView, ...errors },
      },
    },
    async (req) => {
      const { correlationId } = req.params as { correlationId: string };
      checkId(correlationId, 'correlation id');
      const saga = await app.store.saga(correlationId);
      if (!saga) throw notFound(`no saga with correlation id ${correlationId}`);
      return sagaView(saga.summary, saga.hops, clusters(), Date.now() * 1000, stuckAfterUs);
    },
  );

  app.get(
    '/api/search',
    {
      schema: {
        tags: ['flows'],
        summary: 'What an id is: an event id, a trace id or a correlation id, and where to look',
        querystring: Type.Object({ q: Type.String({ minLength: 1, maxLength: 200 }) }),
        response: { 200: SearchView, 400: ErrorView },
      },
    },
    async (req) => {
      const q = (req.query as { q: string }).q.trim();
      checkId(q, 'search');
      const found = await app.store.search(q);
      const matches: { kind: 'event' | 'trace' | 'saga'; id: string; href: string }[] = [];
      const enc = encodeURIComponent(q);
      if (found.event) matches.push({ kind: 'event', id: q, href: `/api/events/${enc}` });
      if (found.trace) matches.push({ kind: 'trace', id: q.toLowerCase(), href: `/api/traces/${q.toLowerCase()}` });
      if (found.saga) matches.push({ kind: 'saga', id: q, href: `/api/sagas/${enc}` });
      // Nothing by that exact id: ids that start with it (as the sagas page takes a prefix), so a
      // shortened id (`01a24874`) found on a page or in a log leads somewhere.
      if (matches.length === 0 && q.length >= SEARCH_PREFIX_MIN) {
        const nowUs = Date.now() * 1000;
        const [events, sagas] = await Promise.all([
          app.store.eventIdsByPrefix(q, SEARCH_PREFIX_MATCHES),
          app.store.sagas({ correlationIdPrefix: q, limit: SEARCH_PREFIX_MATCHES, nowUs, stuckAfterUs }),
        ]);
        for (const id of events) matches.push({ kind: 'event', id, href: `/api/events/${encodeURIComponent(id)}` });
        for (const s of sagas.items) {
          matches.push({
            kind: 'saga',
            id: s.correlationId,
            href: `/api/sagas/${encodeURIComponent(s.correlationId)}`,
          });
        }
      }
      // `<topic>/<partition>/<offset>`: the event at that position, when the record has an id.
      const at = COORDINATES_RE.exec(q);
      if (at && !found.event && Number.isSafeInteger(Number(at[3]))) {
        const { record, deliveries } = await app.store.recordAt(at[1] ?? '', Number(at[2]), Number(at[3]));
        const eventId = record?.eventId ?? deliveries.find((d) => d.eventId !== null)?.eventId ?? null;
        if (eventId !== null) {
          matches.push({ kind: 'event', id: eventId, href: `/api/events/${encodeURIComponent(eventId)}` });
        }
      }
      return { query: q, matches };
    },
  );

  app.get(
    '/api/flows',
    {
      schema: {
        tags: ['flows'],
        summary: 'Flow map: services, topics and the publish/consume edges between them over a recent window',
        querystring: Type.Object({
          rangeSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 3600, default: 300 })),
        }),
        response: { 200: FlowMapView, 400: ErrorView },
      },
    },
    (req) => {
      const rangeSeconds = (req.query as { rangeSeconds?: number }).rangeSeconds ?? 300;
      return { rangeSeconds, ...flowMap.view(rangeSeconds, Date.now(), clusterNames().of) };
    },
  );

  app.get(
    '/api/audit',
    {
      schema: {
        tags: ['flows'],
        summary:
          'Loss and duplicate audit: events processed twice by one group; records a group committed past without a delivery span, classified skipped (loss), telemetry-missing or unknown',
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          class: Type.Optional(FindingClassView),
        }),
        response: { 200: AuditView },
      },
    },
    async (req) => {
      const q = req.query as { limit?: number; class?: FindingClass };
      const limit = q.limit ?? 100;
      const [dups, lost, findings, counts] = await Promise.all([
        app.store.duplicates(limit),
        app.store.unaccounted(limit, 'skipped'),
        app.store.unaccounted(limit, q.class),
        app.store.findingCounts(),
      ]);
      const names = clusterNames();
      const clusterOf = names.of;
      // The store keeps no topic with a duplicate: that of the group's deliveries of the event.
      const eventIds = [...new Set(dups.map((d) => d.eventId))];
      const hops = new Map(await Promise.all(eventIds.map(async (id) => [id, await app.store.event(id)] as const)));
      const duplicateCluster = (eventId: string, group: string): string => {
        const found = hops.get(eventId);
        const topic = found && duplicateTopic(found, group);
        return topic === undefined ? names.primary : clusterOf(group, topic);
      };
      const finding = (u: UnaccountedEntry): Static<typeof AuditView>['findings'][number] => ({
        cluster: clusterOf(u.group, u.topic),
        group: u.group,
        topic: u.topic,
        partition: u.partition,
        offset: u.offset,
        eventId: u.eventId,
        correlationId: u.correlationId,
        detectedMs: u.detectedUs / 1000,
        class: u.class,
        reason: u.reason,
        service: u.service,
        decidedMs: u.decidedUs === null ? null : u.decidedUs / 1000,
      });
      type Counts = Static<typeof AuditView>['counts'];
      // Keyed by the JSON of the parts: names are any string (`__proto__` too).
      const loss = new Map<string, Counts['loss'][number]>();
      const gaps = new Map<string, Counts['telemetryGaps'][number]>();
      const total = new Map<FindingClass, number>();
      for (const c of counts) {
        total.set(c.class, (total.get(c.class) ?? 0) + c.count);
        const cluster = clusterOf(c.group, c.topic);
        if (c.class === 'skipped') {
          const k = JSON.stringify([cluster, c.group, c.topic]);
          const e = loss.get(k) ?? { cluster, group: c.group, topic: c.topic, count: 0 };
          e.count += c.count;
          loss.set(k, e);
        } else if (c.class === 'telemetry-missing') {
          const k = JSON.stringify([cluster, c.group, c.service]);
          const e = gaps.get(k) ?? { cluster, group: c.group, service: c.service, count: 0 };
          e.count += c.count;
          gaps.set(k, e);
        }
      }
      return {
        duplicates: dups.map((d) => ({
          eventId: d.eventId,
          cluster: duplicateCluster(d.eventId, d.group),
          group: d.group,
          count: d.count,
          firstMs: d.firstUs / 1000,
          lastMs: d.lastUs / 1000,
        })),
        unaccounted: lost.map(finding),
        findings: findings.map(finding),
        counts: {
          skipped: total.get('skipped') ?? 0,
          telemetryMissing: total.get('telemetry-missing') ?? 0,
          unknown: total.get('unknown') ?? 0,
          loss: [...loss.values()].sort((a, b) => b.count - a.count),
          telemetryGaps: [...gaps.values()].sort((a, b) => b.count - a.count),
        },
      };
    },
  );
}
