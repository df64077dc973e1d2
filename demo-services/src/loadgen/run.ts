/**
 * The load generator: places orders over HTTP at a steady rate, follows every order it placed
 * to its terminal event (`order.completed` / `order.failed`, read from Kafka with its own
 * consumer group) and keeps its own ground truth: placed, completed, compensated, failed,
 * still pending, and the end-to-end latency of each saga.
 *
 * End-to-end latency of one order = (time this process handles the terminal event) minus
 * (timestamp of the `order.placed` record, i.e. the first publish of the flow, which the
 * orchestrator copies into the terminal event as `placedAt`).
 *
 * Fault knobs: payment declines, sold-out SKUs, poison records, poison orders (a step that fails
 * until the fix is deployed: dead-lettered, then redriven), duplicate re-publishes, extra
 * (optionally slow) instances of a service, and chaos (SIGKILL + restart of those instances).
 */
import { writeFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { loadConfig } from '../config.ts';
import { envelopeHeaders, HEADER, headerString, newEventId, parseHeaders, sendableHeaders } from '../lib/envelope.ts';
import { DecodeError } from '../lib/errors.ts';
import { createKafka, ensureTopics, kafkaModule, type KafkaJs } from '../lib/kafka.ts';
import { Codec } from '../lib/schemas.ts';
import { POISON_SKU_PREFIX } from '../services/inventory.ts';
import { ServiceProcess } from '../supervisor.ts';
import { naming } from '../topics.ts';
import { ATTR } from '../tracing/attributes.ts';
import { annotateDelivery } from '../tracing/spans.ts';
import { summarize, type LatencySummary } from './stats.ts';

export interface LoadgenOptions {
  rate: number;
  count?: number;
  durationMs?: number;
  declineRate: number;
  rejectRate: number;
  poisonRate: number;
  /**
   * Share of orders with a `poison-*` SKU: the inventory service fails their reserve (straight
   * to `inventory.dlq`) until the fix file exists (DEMO_POISON_FIX_FILE); their sagas wait
   * (give them a long DEMO_STEP_TIMEOUT_MS) until the records are redriven.
   */
  poisonOrderRate?: number;
  duplicateRate: number;
  /**
   * Besides the rates: every n-th order is declined / rejected / followed by a poison record,
   * every n-th `order.placed` seen is re-published (the demo's showcase: each pattern early,
   * and again and again, at any rate).
   */
  every?: { decline?: number; reject?: number; poison?: number; poisonOrder?: number; duplicate?: number };
  /**
   * A consumer group of its own (`analytics`, reading `order.placed`) that pauses for `forMs`
   * first after `firstAfterMs`, then every `everyMs`: it falls behind, then catches up.
   */
  lagPulse?: { firstAfterMs: number; everyMs: number; forMs: number };
  spawn?: { service: string; instances: number };
  slowMs: number;
  chaosIntervalMs?: number;
  /** Keep the chaos going after placing ends until this many kills happened. */
  chaosMinKills?: number;
  drainTimeoutMs: number;
  concurrency: number;
  jsonOut?: string;
  progress: boolean;
  /** Stops placing orders when aborted (SIGINT/SIGTERM do this too). */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface LoadgenSummary {
  runId: string;
  placed: number;
  completed: number;
  /** Failed after compensations ran (payment declined, or a step timed out). */
  compensated: number;
  /** Failed without compensation (inventory rejected). */
  failed: number;
  /** Of the compensated, how many timed out. */
  timedOut: number;
  /** Placed but not terminal when the run ended. */
  pending: number;
  httpErrors: number;
  poisonSent: number;
  duplicatesSent: number;
  chaosKills: number;
  /** Per kill: milliseconds from the SIGKILL until the group was stable again with every instance. */
  chaosRecoveryMs: number[];
  placingMs: number;
  totalMs: number;
  /** End-to-end latency in milliseconds (first publish -> terminal event handled here). */
  latencyMs: LatencySummary;
  pendingOrderIds: string[];
  /**
   * Ground truth per order, for checking what an observer (the collector) reports: the event id
   * of its `order.placed`, its terminal event, when that was published (`placedAt`, the record
   * timestamp) and when this process handled the terminal event (`handledAt`, epoch ms).
   */
  sagas: LoadgenSaga[];
  /** Event ids of the undecodable records sent to `inventory.reserve` (they must reach `inventory.dlq`). */
  poisonEventIds: string[];
  /**
   * Order ids of the poison orders (`--poison-order-*`): each one's `inventory.reserve` is
   * dead-lettered by the inventory group until the fix is deployed and the record redriven.
   */
  poisonOrderIds: string[];
  /** Event ids of the `order.placed` records re-published unchanged (consumers must skip them). */
  duplicateEventIds: string[];
}

export interface LoadgenSaga {
  orderId: string;
  placedEventId: string | null;
  outcome: 'completed' | 'compensated' | 'failed' | null;
  terminalEventId: string | null;
  terminalEventType: string | null;
  placedAt: number | null;
  handledAt: number | null;
  latencyMs: number | null;
}

interface Tracked {
  placedHttpAt: number;
  terminal?: 'completed' | 'compensated' | 'failed';
  terminalEventId?: string;
  terminalEventType?: string;
  placedAt?: number;
  handledAt?: number;
}

/** The record's event id, or null when it has none usable (the topics may carry anyone's garbage). */
const eventIdOf = (headers: unknown): string | null => headerString(parseHeaders(headers), HEADER.eventId) ?? null;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function orderBody(n: number, decline: boolean, reject: boolean, poisonOrder: boolean): unknown {
  const lines = 1 + (n % 3);
  const firstSku = reject ? 'sold-out-widget' : poisonOrder ? `${POISON_SKU_PREFIX}-widget` : undefined;
  const items = Array.from({ length: lines }, (_, i) => ({
    sku: i === 0 && firstSku !== undefined ? firstSku : `sku-${(n * 7 + i * 13) % 50}`,
    quantity: 1 + ((n + i) % 3),
    price: decline && i === 0 ? 20_000 : 5 + ((n * 31 + i * 17) % 95),
    currency: 'EUR',
  }));
  return { customer: `customer-${n % 100}`, items };
}

export async function runLoadgen(o: LoadgenOptions): Promise<LoadgenSummary> {
  const env = o.env ?? process.env;
  const config = loadConfig(env);
  const names = naming(config.topicPrefix);
  const runId = newEventId().slice(-12);
  const log = (line: string): void => {
    if (o.progress) process.stderr.write(`[loadgen] ${line}\n`);
  };
  const kafka = createKafka(config.brokers, `${names.prefix}loadgen-${runId}`, config.kafkajsLogLevel);
  await ensureTopics(kafka, names.allTopics(), config.partitions);
  const codec = new Codec(config.registryUrl, names);
  await codec.init();

  const orders = new Map<string, Tracked>();
  // order id -> event id of its order.placed. Filled by the follower, which can see the record
  // before the HTTP response has put the order into `orders`, so it is a map of its own.
  const placedEventIds = new Map<string, string>();
  const poisonEventIds: string[] = [];
  const poisonOrderIds: string[] = [];
  const duplicateEventIds: string[] = [];
  const latencies: number[] = [];
  const counts = {
    completed: 0,
    compensated: 0,
    failed: 0,
    timedOut: 0,
    httpErrors: 0,
    poison: 0,
    duplicates: 0,
    kills: 0,
  };

  // Follow terminal events and order.placed (event ids, duplicate re-publishes) from the current end:
  // a group of its own with no committed offsets starts at the end (kafkajs' default reset), and
  // orders are placed only once the group has joined and fetched, that is once kafkajs has
  // resolved every assigned partition's offset. (admin.setOffsets did the same with a consumer
  // joining and leaving the group per topic: ~2-6 s each, before every run.)
  const groupId = `${names.prefix}loadgen-${runId}`;
  const followed = [names.topic('order.completed'), names.topic('order.failed'), names.topic('order.placed')];
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: kafkaModule().Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topics: followed });
  let joined = false;
  let fetched = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  // The first fetch after the join: offsets resolved, so nothing produced from now on is missed.
  consumer.on(consumer.events.FETCH, () => {
    if (joined) fetched = true;
  });
  let placedSeen = 0;
  const nth = (every: number | undefined, n: number): boolean => every !== undefined && every > 0 && n % every === 0;
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachMessage: async ({ topic, message }) => {
      const handledAt = Date.now();
      // The instrumentation does not name the group; the services' runtime does the same.
      annotateDelivery(message, { [ATTR.consumerGroup]: groupId });
      const type = names.typeOf(topic);
      if (type === 'order.placed') {
        const key = message.key?.toString('utf8') ?? '';
        const eventId = eventIdOf(message.headers);
        if (eventId !== null && !placedEventIds.has(key)) placedEventIds.set(key, eventId);
        if (orders.has(key) && (nth(o.every?.duplicate, ++placedSeen) || Math.random() < o.duplicateRate)) {
          // Same key, value and headers (same event-id): a re-publish the consumers must de-duplicate.
          await producer.send({
            topic,
            messages: [{ key: message.key, value: message.value, headers: sendableHeaders(message.headers) }],
          });
          counts.duplicates++;
          if (eventId !== null) duplicateEventIds.push(eventId);
        }
        return;
      }
      let value: { orderId: string; placedAt: number; compensated?: boolean; timedOut?: boolean };
      try {
        value = await codec.decode(message.value);
      } catch (error) {
        // Not one of the demo's terminal events (garbage someone produced): not an order of
        // this run, so nothing to count. A registry outage is retried by kafkajs instead.
        if (error instanceof DecodeError) return;
        throw error;
      }
      const tracked = orders.get(value.orderId);
      if (!tracked || tracked.terminal) return;
      if (type === 'order.completed') tracked.terminal = 'completed';
      else tracked.terminal = value.compensated ? 'compensated' : 'failed';
      counts[tracked.terminal]++;
      if (value.timedOut) counts.timedOut++;
      latencies.push(handledAt - Number(value.placedAt));
      tracked.handledAt = handledAt;
      tracked.placedAt = Number(value.placedAt);
      tracked.terminalEventType = type;
      const terminalEventId = eventIdOf(message.headers);
      if (terminalEventId !== null) tracked.terminalEventId = terminalEventId;
    },
  });

  // Extra instances of one service, optionally slow, optionally killed and restarted (chaos).
  const spawned: ServiceProcess[] = [];
  let finishing = false;
  const killed = new WeakSet<Promise<number | null>>();
  // An instance that dies by itself (not by chaos) is worth knowing about.
  const watchExit = (p: ServiceProcess): void => {
    const exit = p.exit;
    void exit.then((code) => {
      if (!finishing && !killed.has(exit) && code !== null) {
        process.stderr.write(`[loadgen] ${p.instance} exited on its own with code ${code}\n`);
      }
    });
  };
  let chaos: Promise<void> | undefined;
  const chaosStop = new AbortController();
  const abort = new AbortController();
  const recoveries: number[] = [];
  if (o.spawn) {
    for (let i = 0; i < o.spawn.instances; i++) {
      const p = new ServiceProcess(o.spawn.service, `${o.spawn.service}-lg${i + 1}`, {
        env: { ...env, ...(o.slowMs > 0 ? { DEMO_SLOW_MS: String(o.slowMs) } : {}), DEMO_LOG_LEVEL: 'warn' },
        output: (line) => {
          if (o.progress && /error|dead-lettered/i.test(line))
            process.stderr.write(`[${o.spawn?.service}-lg${i + 1}] ${line}\n`);
        },
      });
      spawned.push(p.start());
      watchExit(p);
    }
    if (o.chaosIntervalMs) chaos = runChaos(spawned, o.chaosIntervalMs);
  }

  /**
   * Chaos: wait the interval, SIGKILL one spawned instance (round robin), restart it at once,
   * then wait until its group is stable again with every instance in it before the next
   * interval starts. Without that wait, kills faster than the group can rebalance (a killed
   * member holds its partitions for a whole session timeout) would stop all progress.
   */
  async function runChaos(instances: ServiceProcess[], intervalMs: number): Promise<void> {
    const service = instances[0]?.name ?? '';
    const chaosAdmin = kafka.admin();
    await chaosAdmin.connect();
    const describe = async () => (await chaosAdmin.describeGroups([names.group(service)])).groups[0];
    /** Stable, with every instance in it, and none of `gone` (the killed instance's old member id). */
    const waitStable = async (gone: Set<string> = new Set()): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const g = await describe();
        if (
          g?.state === 'Stable' &&
          g.members.length >= instances.length &&
          g.members.every((m) => !gone.has(m.memberId))
        ) {
          return;
        }
        await sleep(250);
      }
    };
    try {
      await waitStable();
      const done = (): boolean =>
        abort.signal.aborted || (chaosStop.signal.aborted && counts.kills >= (o.chaosMinKills ?? 0));
      for (let next = 0; !done(); next++) {
        await sleep(intervalMs);
        if (done()) break;
        const victim = instances[next % instances.length];
        if (!victim) break;
        counts.kills++;
        killed.add(victim.exit);
        const before = await describe();
        const gone = new Set(
          (before?.members ?? []).filter((m) => m.clientId.endsWith(`-${victim.instance}`)).map((m) => m.memberId),
        );
        const killedAt = Date.now();
        await victim.restart();
        watchExit(victim);
        await waitStable(gone);
        recoveries.push(Date.now() - killedAt);
        log(`chaos: killed and restarted ${victim.instance}; group stable again after ${Date.now() - killedAt} ms`);
      }
    } finally {
      await chaosAdmin.disconnect();
    }
  }

  // Wait for the order service.
  const healthDeadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${config.orderUrl}/healthz`);
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > healthDeadline) throw new Error(`order service at ${config.orderUrl} did not answer within 60 s`);
    await sleep(250);
  }
  const joinDeadline = Date.now() + 30_000;
  while (!fetched && Date.now() < joinDeadline) await sleep(100);

  const pulse = o.lagPulse ? startLagPulse(o.lagPulse) : undefined;

  /**
   * A reader of `order.placed` in a group of its own that stops reading now and then (the
   * consumer keeps its membership and heartbeats): its lag grows in messages and seconds,
   * then drains once it resumes. Nothing in the sagas waits for it.
   */
  function startLagPulse(p: NonNullable<LoadgenOptions['lagPulse']>): { stop(): Promise<void> } {
    const reader = kafka.consumer({
      groupId: names.group('analytics'),
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    const topic = names.topic('order.placed');
    const timers = new Set<NodeJS.Timeout>();
    const later = (ms: number, fn: () => void): void => {
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    };
    const pauseNow = (): void => {
      log(`analytics consumer pauses for ${p.forMs / 1000} s (its lag grows, then drains)`);
      reader.pause([{ topic }]);
      later(p.forMs, () => {
        reader.resume([{ topic }]);
        later(Math.max(p.everyMs - p.forMs, 1_000), pauseNow);
      });
    };
    const started = (async () => {
      // A new group starts at the end with committed offsets, so its lag is known from the start.
      const pulseAdmin = kafka.admin();
      await pulseAdmin.connect();
      try {
        const [committed] = await pulseAdmin.fetchOffsets({ groupId: names.group('analytics'), topics: [topic] });
        if (!committed || committed.partitions.some((p) => Number(p.offset) < 0)) {
          const ends = await pulseAdmin.fetchTopicOffsets(topic);
          await pulseAdmin.setOffsets({
            groupId: names.group('analytics'),
            topic,
            partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
          });
        }
      } catch (err) {
        log(`analytics consumer keeps its offsets (${String(err)})`);
      } finally {
        await pulseAdmin.disconnect();
      }
      await reader.connect();
      await reader.subscribe({ topics: [topic] });
      await reader.run({ eachMessage: () => Promise.resolve() });
      later(p.firstAfterMs, pauseNow);
    })().catch((err: unknown) => log(`analytics consumer: ${String(err)}`));
    return {
      stop: async () => {
        for (const t of timers) clearTimeout(t);
        await started;
        await reader.disconnect().catch(() => undefined);
      },
    };
  }

  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  o.signal?.addEventListener('abort', onSignal);

  const target = o.count ?? (o.durationMs !== undefined ? Math.round((o.durationMs / 1000) * o.rate) : Infinity);
  const bar =
    o.progress && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: 'orders {bar} {value}/{total} placed | {terminal} terminal | {pending} pending | p50 {p50} ms',
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  const terminalCount = (): number => counts.completed + counts.compensated + counts.failed;
  let placed = 0;
  const progress = (): void => {
    const snapshot = {
      terminal: terminalCount(),
      pending: placed - terminalCount(),
      p50: Math.round(summarize(latencies.slice(-500)).p50),
    };
    if (bar) bar.update(placed, snapshot);
    else log(`placed ${placed} | terminal ${snapshot.terminal} | pending ${snapshot.pending} | p50 ${snapshot.p50} ms`);
  };
  bar?.start(Number.isFinite(target) ? target : 0, 0, { terminal: 0, pending: 0, p50: 0 });
  const ticker = setInterval(progress, bar ? 250 : 5_000);

  const started = Date.now();
  let inFlight = 0;
  const place = async (n: number): Promise<void> => {
    const decline = nth(o.every?.decline, n + 1) || Math.random() < o.declineRate;
    const reject = !decline && (nth(o.every?.reject, n + 1) || Math.random() < o.rejectRate);
    const poison = nth(o.every?.poison, n + 1) || (o.poisonRate > 0 && Math.random() < o.poisonRate);
    const poisonOrder =
      !decline && !reject && (nth(o.every?.poisonOrder, n + 1) || Math.random() < (o.poisonOrderRate ?? 0));
    try {
      const res = await fetch(`${config.orderUrl}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(orderBody(n, decline, reject, poisonOrder)),
      });
      if (res.status !== 201) {
        counts.httpErrors++;
        return;
      }
      const body = (await res.json()) as { orderId: string };
      orders.set(body.orderId, { placedHttpAt: Date.now() });
      placed++;
      if (poisonOrder) poisonOrderIds.push(body.orderId);
      if (poison) {
        const poisonEventId = newEventId();
        await producer.send({
          topic: names.topic('inventory.reserve'),
          messages: [
            {
              key: body.orderId,
              value: Buffer.concat([Buffer.from('poison: not Avro '), Buffer.from(newEventId())]),
              headers: envelopeHeaders({
                eventId: poisonEventId,
                eventType: 'inventory.reserve',
                correlationId: body.orderId,
              }),
            },
          ],
        });
        counts.poison++;
        poisonEventIds.push(poisonEventId);
      }
    } catch {
      counts.httpErrors++;
    }
  };
  const pending = new Set<Promise<void>>();
  for (let n = 0; n < target && !abort.signal.aborted; n++) {
    if (o.durationMs !== undefined && Date.now() - started >= o.durationMs) break;
    const due = started + (n * 1000) / o.rate;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= o.concurrency) await Promise.race(pending);
    inFlight++;
    const p = place(n).finally(() => {
      inFlight--;
      pending.delete(p);
    });
    pending.add(p);
  }
  await Promise.all(pending);
  const placingMs = Date.now() - started;
  // Chaos runs while orders are placed; the drain below shows everything still settles.
  chaosStop.abort();
  await chaos;

  // Drain: wait for every placed order to reach a terminal state.
  // Interrupted (Ctrl-C): a short drain, so the summary comes quickly.
  const drainDeadline = Date.now() + (abort.signal.aborted ? Math.min(o.drainTimeoutMs, 5_000) : o.drainTimeoutMs);
  while (terminalCount() < orders.size && Date.now() < drainDeadline) await sleep(100);
  clearInterval(ticker);
  progress();
  bar?.stop();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  finishing = true;
  await pulse?.stop();
  await Promise.all(spawned.map((p) => p.stop()));
  await consumer.disconnect();
  await producer.disconnect();
  const admin2 = kafka.admin();
  await admin2.connect();
  await admin2.deleteGroups([groupId]).catch(() => undefined);
  await admin2.disconnect();

  const pendingOrderIds = [...orders.entries()].filter(([, t]) => !t.terminal).map(([id]) => id);
  const summary: LoadgenSummary = {
    runId,
    placed: orders.size,
    completed: counts.completed,
    compensated: counts.compensated,
    failed: counts.failed,
    timedOut: counts.timedOut,
    pending: pendingOrderIds.length,
    httpErrors: counts.httpErrors,
    poisonSent: counts.poison,
    duplicatesSent: counts.duplicates,
    chaosKills: counts.kills,
    chaosRecoveryMs: recoveries,
    placingMs,
    totalMs: Date.now() - started,
    latencyMs: summarize(latencies),
    pendingOrderIds: pendingOrderIds.slice(0, 100),
    sagas: [...orders.entries()].map(([orderId, t]) => ({
      orderId,
      placedEventId: placedEventIds.get(orderId) ?? null,
      outcome: t.terminal ?? null,
      terminalEventId: t.terminalEventId ?? null,
      terminalEventType: t.terminalEventType ?? null,
      placedAt: t.placedAt ?? null,
      handledAt: t.handledAt ?? null,
      latencyMs: t.handledAt !== undefined && t.placedAt !== undefined ? t.handledAt - t.placedAt : null,
    })),
    poisonEventIds,
    poisonOrderIds,
    duplicateEventIds,
  };
  const l = summary.latencyMs;
  process.stdout.write(
    [
      '',
      `loadgen summary (run ${runId})`,
      `  placed       ${summary.placed} in ${(placingMs / 1000).toFixed(1)} s (${(summary.placed / Math.max(placingMs / 1000, 0.001)).toFixed(1)}/s)`,
      `  completed    ${summary.completed}`,
      `  compensated  ${summary.compensated} (timed out: ${summary.timedOut})`,
      `  failed       ${summary.failed}`,
      `  pending      ${summary.pending}`,
      `  http errors  ${summary.httpErrors}   poison sent ${summary.poisonSent}   poison orders ${poisonOrderIds.length}   duplicates sent ${summary.duplicatesSent}   chaos kills ${summary.chaosKills}`,
      `  e2e latency  p50 ${l.p50.toFixed(0)} ms  p95 ${l.p95.toFixed(0)} ms  p99 ${l.p99.toFixed(0)} ms  max ${l.max.toFixed(0)} ms (n=${l.count})`,
      '',
    ].join('\n'),
  );
  if (o.jsonOut) writeFileSync(o.jsonOut, JSON.stringify(summary, null, 2));
  return summary;
}

export type { KafkaJs };
