/**
 * DLQ redrive: selected DLQ records produced again, to their original topic or to the failed
 * group's `<group>.retry` topic, at a rate limit, with progress, cancel, resume after a restart
 * and, later, what became of each record's event (from the flows store).
 *
 * At most once per record per redrive, also across `kill -9`. Every selected record has a
 * ledger row (RedriveStore) keyed by (redrive id, DLQ topic, partition, offset). A batch's rows
 * are set to `sending` (with the time, synced to disk) BEFORE the batch is produced, and to
 * `sent` after the broker acknowledged it; a record is only ever produced from `pending`. So a
 * crash can leave only `sending` rows in doubt: produced or not. On resume they are resolved by
 * reading the target topics back, from the offset of the earliest `sending` time on (each
 * redriven record carries that time as its timestamp, its `dlq-redrive-id` and its source as
 * `dlq-redrive-source`): a row whose record is there becomes `sent`, the others `pending` again.
 * Why a read-back and not a transactional producer: a transaction would hide an unfinished
 * batch from read_committed consumers only, while the demo services and most consumers read
 * uncommitted, and the ledger would still need the read-back to learn whether a commit
 * happened before the crash. Within one run the producer is idempotent (kafka/producer.ts), so
 * the client's own retries add no copies; a batch whose produce fails is marked `failed` (it
 * may or may not be written) and never sent again, and the redrive stops as failed.
 * The read-back needs the dead process's produce requests to be done with, which they are by
 * the time a collector has restarted and read its store (the broker answers a request or drops
 * it with the connection; it does not keep one for later).
 *
 * Nothing is deleted from the DLQ: the ledger's `sent` rows mark redriven records there.
 *
 * Just over 600 lines on purpose: the at-most-once argument above spans the batch loop, the
 * resume read-back and cancel; split apart, no one file would show why a record is never sent twice.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { DLQ_HEADER, DLQ_REDRIVE_HEADER } from '@eventscope/contract';
import { CollectorError, badRequest, notFound } from '../../errors.ts';
import type { KafkaAdapter, KafkaRecord } from '../../kafka/index.ts';
import type { KafkaWriter, RedriveMessage } from '../../kafka/producer.ts';
import type { LedgerEntry, LedgerFate, LedgerRow, RedriveStore, StoredRedrive } from '../../store/redrive-types.ts';
import type { Store } from '../../store/types.ts';
import type { DlqRecord } from '../service.ts';
import type {
  Redrive,
  RedriveDryRunResponse as RedriveDryRun,
  RedriveRequest,
  RedriveSelect,
} from '../../api-types.ts';
import { header, ledgerEntry, matches } from './select.ts';
import { TokenBucket } from './token-bucket.ts';

const LIMITS = {
  /** Bytes asked per partition and fetch when reading the DLQ and the targets. */
  readBytes: 1024 * 1024,
  /** Records asked per fetch. */
  readCount: 500,
  /** Pending ledger rows taken per round of the send loop. */
  roundRows: 500,
  /** Records per produce: about 100 ms worth at the rate, at most this many. */
  maxBatch: 100,
  /** Redriven records whose fate is looked up per refresh. */
  fatesPerRefresh: 500,
  /** Progress events per second at most per redrive (the last one always goes). */
  progressEveryMs: 250,
  /** Sample records of a dry run. */
  sample: 10,
  /** Attempts of a redrive whose reads fail (Kafka away), 2, 4, 8, 16 s apart, before it fails. */
  attempts: 5,
  /** Deliveries this long before the produce still count (clocks of the services differ a little). */
  clockSlackMs: 500,
} as const;

export interface RedriveEngineOptions {
  /** The Kafka cluster of the DLQs, the reader and the writer (the `cluster` of every answer). */
  cluster: string;
  reader: Pick<KafkaAdapter, 'listTopics' | 'topicOffsets' | 'readRecords'>;
  writer: Pick<KafkaWriter, 'send' | 'partitionCount' | 'ensureTopic' | 'offsetsSince'>;
  store: RedriveStore;
  flows: Pick<Store, 'event'>;
  isDlq: (topic: string) => boolean;
  /** A DLQ record as the API shows it (values decoded), for the dry run's sample. */
  toDlqRecord: (r: KafkaRecord) => Promise<DlqRecord>;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
  /** Told when a redrive ends by itself (completed or failed), for the audit log. */
  onEnd?: (redrive: Redrive) => void;
  /** Told how many records of a DLQ were sent or failed (metrics). */
  onRecords?: (dlqTopic: string, result: 'sent' | 'failed', count: number) => void;
}

const key = (p: number, o: number): string => `${p}:${o}`;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class RedriveEngine {
  readonly #o: RedriveEngineOptions;
  readonly #running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  readonly #events = new EventEmitter();
  #closed = false;

  constructor(options: RedriveEngineOptions) {
    this.#o = options;
    this.#events.setMaxListeners(0);
  }

  /** Counts, sample or a started redrive. 404 for a topic that is not a DLQ or not there. */
  async dryRun(dlqTopic: string, request: RedriveRequest): Promise<RedriveDryRun> {
    let count = 0;
    const sampled: KafkaRecord[] = [];
    await this.#select(dlqTopic, request.select, (r) => {
      count++;
      if (sampled.length < LIMITS.sample) sampled.push(r);
    });
    const marks = await this.#o.store.marks(dlqTopic, sampled);
    const sample = await Promise.all(
      sampled.map(async (r) => ({
        ...(await this.#o.toDlqRecord(r)),
        redrives: marks.get(key(r.partition, r.offset)) ?? [],
      })),
    );
    return { cluster: this.#o.cluster, count, sample };
  }

  /** Starts one at a time: a second start must see the first one's ledger (a double click). */
  #starting: Promise<unknown> = Promise.resolve();

  /** A started redrive; 409 when a running redrive of the DLQ holds any of the selected records. */
  start(dlqTopic: string, request: RedriveRequest, createdBy: string): Promise<Redrive> {
    const started = this.#starting.then(() => this.#start(dlqTopic, request, createdBy));
    this.#starting = started.catch(() => undefined);
    return started;
  }

  async #start(dlqTopic: string, request: RedriveRequest, createdBy: string): Promise<Redrive> {
    if (this.#closed) throw new CollectorError('OVERLOADED', 'the collector is shutting down');
    const entries: LedgerEntry[] = [];
    // Each target with the original topics its records name (a retry topic gets their partitions).
    const targets = new Map<string, Set<string>>();
    await this.#select(dlqTopic, request.select, (r) => {
      const entry = ledgerEntry(r, request.target);
      entries.push(entry);
      if (entry.targetTopic === null) return;
      const originals = targets.get(entry.targetTopic) ?? new Set<string>();
      const original = header(r, DLQ_HEADER.originalTopic);
      if (original !== null) originals.add(original);
      targets.set(entry.targetTopic, originals);
    });
    await this.#refuseOverlap(dlqTopic, entries);
    await this.#prepareTargets(targets, entries, request.target.kind);
    const redrive: StoredRedrive = {
      id: randomUUID(),
      dlqTopic,
      status: 'running',
      createdBy,
      createdAtMs: Date.now(),
      finishedAtMs: null,
      select: request.select,
      target: request.target,
      ratePerSecond: request.ratePerSecond,
      selected: entries.length,
      sent: 0,
      failed: entries.filter((e) => e.error !== null).length,
      error: null,
    };
    await this.#o.store.createRedrive(redrive, entries);
    this.#launch(redrive, false);
    return this.#view(redrive, false);
  }

  /**
   * Two running redrives of one record would produce it twice: a second redrive of records a
   * running one holds (in any ledger state) is refused until that one ends or is cancelled.
   */
  async #refuseOverlap(dlqTopic: string, entries: readonly LedgerEntry[]): Promise<void> {
    for (const other of await this.#o.store.runningRedrives()) {
      if (other.dlqTopic !== dlqTopic) continue;
      const held = new Set<string>();
      for (const state of ['pending', 'sending', 'sent'] as const) {
        for (const row of await this.#o.store.ledger(other.id, state, Number.MAX_SAFE_INTEGER)) {
          held.add(key(row.partition, row.offset));
        }
      }
      const overlap = entries.find((e) => held.has(key(e.partition, e.offset)));
      if (overlap !== undefined) {
        throw new CollectorError(
          'CONFLICT',
          `record ${dlqTopic}/${overlap.partition}/${overlap.offset} is in redrive ${other.id}, still running: wait for it or cancel it`,
        );
      }
    }
  }

  /** Resumes the redrives a previous run left `running`. */
  async resume(): Promise<number> {
    const running = await this.#o.store.runningRedrives();
    for (const r of running) this.#launch(r, true);
    return running.length;
  }

  /** Whether this engine's store has the redrive (each cluster's engine has a store of its own). */
  async has(id: string): Promise<boolean> {
    return (await this.#o.store.getRedrive(id)) !== undefined;
  }

  async get(id: string): Promise<Redrive | undefined> {
    const r = await this.#o.store.getRedrive(id);
    return r ? this.#view(r, true) : undefined;
  }

  async list(limit = 100): Promise<Redrive[]> {
    const rows = await this.#o.store.listRedrives(limit);
    return Promise.all(rows.map((r) => this.#view(r, false)));
  }

  /** Cancels a running redrive (records already acknowledged stay sent). Undefined for an unknown id. */
  async cancel(id: string): Promise<Redrive | undefined> {
    const r = await this.#o.store.getRedrive(id);
    if (!r) return undefined;
    if (r.status === 'running') {
      await this.#o.store.updateRedrive(id, { status: 'cancelled', finishedAtMs: Date.now() });
      const run = this.#running.get(id);
      run?.abort.abort(new Error('cancelled'));
      await run?.done;
      await this.#emit(id, true);
    }
    return this.get(id);
  }

  /** Redrives that sent these DLQ records, by `partition:offset` (the DLQ record list marks them). */
  marks(
    dlqTopic: string,
    records: readonly { partition: number; offset: number }[],
  ): Promise<Map<string, { id: string; atMs: number }[]>> {
    return this.#o.store.marks(dlqTopic, records);
  }

  /** Progress of one redrive until it ends: returns the unsubscribe function. */
  subscribe(id: string, listener: (redrive: Redrive) => void): () => void {
    const name = `progress:${id}`;
    this.#events.on(name, listener);
    return () => this.#events.off(name, listener);
  }

  /** Redrives whose send loop runs in this process. */
  get running(): number {
    return this.#running.size;
  }

  /** Stops the send loops without ending their redrives (they resume at the next start). */
  async close(): Promise<void> {
    this.#closed = true;
    const runs = [...this.#running.values()];
    for (const run of runs) run.abort.abort(new Error('shutdown'));
    await Promise.allSettled(runs.map((run) => run.done));
  }

  /** The redrive as the API shows it: counts from the ledger, the outcome from the fates. */
  async #view(r: StoredRedrive, refreshFates: boolean): Promise<Redrive> {
    if (refreshFates) await this.#refreshFates(r);
    const [counts, outcome] = await Promise.all([this.#o.store.ledgerCounts(r.id), this.#o.store.outcome(r.id)]);
    return { ...r, cluster: this.#o.cluster, sent: counts.sent, failed: counts.failed, outcome };
  }

  #lastEmit = new Map<string, number>();

  async #emit(id: string, force: boolean): Promise<void> {
    const now = Date.now();
    if (!force && now - (this.#lastEmit.get(id) ?? 0) < LIMITS.progressEveryMs) return;
    if (this.#events.listenerCount(`progress:${id}`) === 0) return;
    this.#lastEmit.set(id, now);
    // The fates are not looked up here (that is GET /api/redrives/:id's work): progress stays cheap.
    const stored = await this.#o.store.getRedrive(id);
    const r = stored && (await this.#view(stored, false));
    if (r) this.#events.emit(`progress:${id}`, r);
    if (r && r.status !== 'running') this.#lastEmit.delete(id);
  }

  // --- selection -------------------------------------------------------------------------

  /**
   * Visits the selected records of the DLQ as it is now (up to its end offsets at this moment),
   * by partition and offset. Records are not kept: a DLQ may hold more than fits in memory.
   */
  async #select(dlqTopic: string, select: RedriveSelect, visit: (r: KafkaRecord) => void): Promise<void> {
    if (!this.#o.isDlq(dlqTopic)) {
      throw notFound(`${JSON.stringify(dlqTopic)} does not match the DLQ pattern (EVENTSCOPE_DLQ_PATTERN)`);
    }
    await this.#o.reader.listTopics();
    const offsets = (await this.#o.reader.topicOffsets([dlqTopic])).get(dlqTopic);
    if (offsets === undefined || offsets instanceof Error) {
      throw notFound(`DLQ topic ${JSON.stringify(dlqTopic)} does not exist on cluster ${this.#o.cluster}`);
    }
    if (select.kind === 'offsets') {
      const wanted = new Map<number, Set<number>>();
      for (const { partition, offset } of select.records) {
        const p = offsets.find((x) => x.partition === partition);
        if (p === undefined) throw badRequest(`${dlqTopic} has no partition ${partition}`);
        const o = Number(offset);
        if (!Number.isSafeInteger(o) || o < p.start || o >= p.end) {
          throw badRequest(`offset ${offset} is not in ${dlqTopic}/${partition} (records ${p.start} to ${p.end - 1})`);
        }
        const set = wanted.get(partition) ?? new Set<number>();
        set.add(o);
        wanted.set(partition, set);
      }
      for (const partition of [...wanted.keys()].sort((a, b) => a - b)) {
        const set = wanted.get(partition) ?? new Set<number>();
        const got = await this.#readOffsets(dlqTopic, partition, [...set]);
        const missing = [...set].filter((o) => !got.has(o));
        if (missing.length > 0) {
          throw badRequest(`no record at offset ${missing[0]} of ${dlqTopic}/${partition} (compacted or a marker)`);
        }
        for (const o of [...got.keys()].sort((a, b) => a - b)) visit(got.get(o) as KafkaRecord);
      }
    } else {
      for (const p of offsets) {
        await this.#readRange(dlqTopic, p.partition, p.start, p.end, (r) => {
          if (matches(select, r)) visit(r);
        });
      }
    }
  }

  /**
   * Reads [from, end) of a partition, one partition per fetch (so a record larger than the
   * bytes asked still comes: Kafka returns the first batch of a response whatever its size).
   */
  async #readRange(
    topic: string,
    partition: number,
    from: number,
    end: number,
    visit: (r: KafkaRecord) => void,
  ): Promise<void> {
    let offset = from;
    while (offset < end) {
      const got = await this.#fetchFrom(topic, partition, offset);
      // [] is an answer of control records only (a transaction marker): step over it.
      const last = got.at(-1);
      if (last === undefined) {
        offset += 1;
        continue;
      }
      for (const r of got) {
        if (r.offset >= end) return;
        visit(r);
      }
      offset = last.offset + 1;
    }
  }

  /** One fetch of up to `readCount` records from an offset; [] when the broker had control records only. */
  async #fetchFrom(topic: string, partition: number, offset: number): Promise<KafkaRecord[]> {
    const got = (
      await this.#o.reader.readRecords([{ topic, partition, offset }], {
        maxBytesPerPartition: LIMITS.readBytes,
        count: LIMITS.readCount,
      })
    ).get(`${topic}\u0000${partition}`);
    if (got === undefined) {
      throw new CollectorError('KAFKA_UNAVAILABLE', `could not read ${topic}/${partition} at offset ${offset}`);
    }
    return got;
  }

  /**
   * The records at these offsets of a partition (absent: no record there). One fetch from the
   * next offset wanted; the gap to the one after is skipped, not read through.
   */
  async #readOffsets(topic: string, partition: number, offsets: number[]): Promise<Map<number, KafkaRecord>> {
    const sorted = [...new Set(offsets)].sort((a, b) => a - b);
    const want = new Set(sorted);
    const out = new Map<number, KafkaRecord>();
    let i = 0;
    while (i < sorted.length) {
      const from = sorted[i] as number;
      const got = await this.#fetchFrom(topic, partition, from);
      // Only control records there (a transaction marker): nothing at that offset.
      const last = got.at(-1)?.offset ?? from;
      for (const r of got) if (want.has(r.offset)) out.set(r.offset, r);
      while (i < sorted.length && (sorted[i] as number) <= last) i++;
    }
    return out;
  }

  /**
   * Retry topics are created when missing, with the partitions of the original topic (the
   * most of the originals the group's records name); a target that does not exist fails its records.
   */
  async #prepareTargets(
    originals: ReadonlyMap<string, ReadonlySet<string>>,
    entries: LedgerEntry[],
    kind: 'original' | 'group-retry',
  ): Promise<void> {
    const missing = new Set<string>();
    for (const [target, names] of originals) {
      if (kind === 'group-retry') {
        let partitions = 1;
        for (const name of names) partitions = Math.max(partitions, (await this.#o.writer.partitionCount(name)) ?? 1);
        try {
          await this.#o.writer.ensureTopic(target, partitions);
        } catch (err) {
          throw new CollectorError('KAFKA_UNAVAILABLE', `could not create ${target}: ${message(err)}`, { cause: err });
        }
      } else if ((await this.#o.writer.partitionCount(target)) === undefined) {
        missing.add(target);
      }
    }
    for (const e of entries) {
      if (e.targetTopic !== null && missing.has(e.targetTopic)) {
        e.error = `target topic ${e.targetTopic} does not exist`;
      }
    }
  }

  // --- sending -----------------------------------------------------------------------------

  #launch(r: StoredRedrive, resume: boolean): void {
    const abort = new AbortController();
    const attempt = async (): Promise<void> => {
      for (let n = 1; ; n++) {
        try {
          // A retry starts as a resume: rows a failed attempt left `sending` are read back first.
          await this.#run(r, resume || n > 1, abort.signal);
          return;
        } catch (err) {
          if (abort.signal.aborted) return;
          // Kafka away for a moment (a restart of the broker, the collector started before it):
          // try again a few times before giving the redrive up.
          if (n < LIMITS.attempts && (!(err instanceof CollectorError) || err.retryable)) {
            this.#o.log.warn({ err, redrive: r.id, attempt: n }, 'redrive interrupted; trying again');
            try {
              await sleep(1000 * 2 ** n, undefined, { signal: abort.signal });
            } catch {
              return;
            }
            continue;
          }
          this.#o.log.error({ err, redrive: r.id }, 'redrive failed');
          await this.#end(r.id, 'failed', message(err));
          return;
        }
      }
    };
    const done = attempt()
      .catch((err: unknown) => this.#o.log.error({ err, redrive: r.id }, 'redrive could not be ended'))
      .finally(() => this.#running.delete(r.id));
    this.#running.set(r.id, { abort, done });
  }

  async #run(r: StoredRedrive, resume: boolean, signal: AbortSignal): Promise<void> {
    const store = this.#o.store;
    if (resume) await this.#resolveSending(r);
    const batch = Math.max(1, Math.min(LIMITS.maxBatch, Math.floor(r.ratePerSecond / 10)));
    // Up to a quarter second of sending may be caught up after a stall (a slow disk, a busy
    // machine), so the rate holds on average; more would be a burst.
    const bucket = new TokenBucket(r.ratePerSecond, Math.max(2 * batch, Math.ceil(r.ratePerSecond / 4)));
    for (;;) {
      if (signal.aborted) return;
      const rows = await store.ledger(r.id, 'pending', LIMITS.roundRows);
      if (rows.length === 0) break;
      const records = await this.#fetch(r.dlqTopic, rows);
      const gone = rows.filter((row) => !records.has(key(row.partition, row.offset)));
      if (gone.length > 0) {
        await store.setLedgerState({
          id: r.id,
          dlqTopic: r.dlqTopic,
          rows: gone,
          state: 'failed',
          atMs: null,
          error: 'no longer in the DLQ (retention)',
        });
        this.#o.onRecords?.(r.dlqTopic, 'failed', gone.length);
      }
      const present = rows.filter((row) => records.has(key(row.partition, row.offset)));
      for (let i = 0; i < present.length; i += batch) {
        const chunk = present.slice(i, i + batch);
        try {
          await bucket.take(chunk.length, signal);
        } catch {
          return; // aborted: cancel or shutdown
        }
        const at = Date.now();
        // Written (and synced) before the produce: the ledger's half of at-most-once.
        await store.setLedgerState({ id: r.id, dlqTopic: r.dlqTopic, rows: chunk, state: 'sending', atMs: at });
        const messages = chunk.map((row) =>
          redriven(records.get(key(row.partition, row.offset)) as KafkaRecord, row, r, at),
        );
        try {
          await this.#o.writer.send(messages);
        } catch (err) {
          const why = `produce failed (the records may or may not be written; not sent again): ${message(err)}`;
          await store.setLedgerState({
            id: r.id,
            dlqTopic: r.dlqTopic,
            rows: chunk,
            state: 'failed',
            atMs: at,
            error: why,
          });
          this.#o.onRecords?.(r.dlqTopic, 'failed', chunk.length);
          await this.#end(r.id, 'failed', why);
          return;
        }
        await store.setLedgerState({ id: r.id, dlqTopic: r.dlqTopic, rows: chunk, state: 'sent', atMs: at });
        this.#o.onRecords?.(r.dlqTopic, 'sent', chunk.length);
        await this.#emit(r.id, false);
      }
    }
    await this.#end(r.id, 'completed', null);
  }

  /** Ends a redrive that is still running (a cancel may have ended it first). */
  async #end(id: string, status: 'completed' | 'failed', error: string | null): Promise<void> {
    const current = await this.#o.store.getRedrive(id);
    if (current?.status !== 'running') return;
    await this.#o.store.updateRedrive(id, { status, error, finishedAtMs: Date.now() });
    await this.#emit(id, true);
    const view = await this.get(id);
    if (view) this.#o.onEnd?.(view);
  }

  /** The DLQ records of these ledger rows, by `partition:offset`. */
  async #fetch(dlqTopic: string, rows: readonly LedgerRow[]): Promise<Map<string, KafkaRecord>> {
    await this.#o.reader.listTopics();
    const byPartition = new Map<number, number[]>();
    for (const row of rows) byPartition.set(row.partition, [...(byPartition.get(row.partition) ?? []), row.offset]);
    const out = new Map<string, KafkaRecord>();
    for (const [partition, offsets] of byPartition) {
      for (const [o, rec] of await this.#readOffsets(dlqTopic, partition, offsets)) out.set(key(partition, o), rec);
    }
    return out;
  }

  /** After a crash: each `sending` row becomes `sent` if its record is on the target, else `pending`. */
  async #resolveSending(r: StoredRedrive): Promise<void> {
    const rows = await this.#o.store.ledger(r.id, 'sending', Number.MAX_SAFE_INTEGER);
    if (rows.length === 0) return;
    const found = new Map<string, number>();
    const targets = new Map<string, number>();
    for (const row of rows) {
      if (row.targetTopic === null) continue;
      const at = row.atMs ?? r.createdAtMs;
      targets.set(row.targetTopic, Math.min(targets.get(row.targetTopic) ?? at, at));
    }
    await this.#o.reader.listTopics();
    for (const [topic, since] of targets) {
      // The records carry their `sending` time as timestamp; a second earlier covers rounding.
      for (const p of await this.#o.writer.offsetsSince(topic, since - 1000)) {
        await this.#readRange(topic, p.partition, p.from, p.end, (rec) => {
          if (header(rec, DLQ_REDRIVE_HEADER.redriveId) !== r.id) return;
          const source = header(rec, DLQ_REDRIVE_HEADER.source);
          const at = Number(header(rec, DLQ_REDRIVE_HEADER.redriveAt));
          if (source !== null) found.set(source, Number.isFinite(at) ? at : rec.timestamp);
        });
      }
    }
    const sent = rows.filter((row) => found.has(sourceOf(r.dlqTopic, row)));
    const notSent = rows.filter((row) => !found.has(sourceOf(r.dlqTopic, row)));
    for (const row of sent) {
      await this.#o.store.setLedgerState({
        id: r.id,
        dlqTopic: r.dlqTopic,
        rows: [row],
        state: 'sent',
        atMs: found.get(sourceOf(r.dlqTopic, row)) ?? null,
      });
    }
    await this.#o.store.setLedgerState({ id: r.id, dlqTopic: r.dlqTopic, rows: notSent, state: 'pending', atMs: null });
    this.#o.log.warn(
      { redrive: r.id, sent: sent.length, resent: notSent.length },
      'redrive resumed: records in doubt read back from their targets',
    );
  }

  // --- outcome -----------------------------------------------------------------------------

  /** Looks up the fate of redriven records not decided yet: their event's deliveries since the redrive. */
  async #refreshFates(r: StoredRedrive): Promise<void> {
    const rows = await this.#o.store.undecided(r.id, LIMITS.fatesPerRefresh);
    const fates: { partition: number; offset: number; fate: LedgerFate }[] = [];
    for (const row of rows) {
      if (row.eventId === null || row.atMs === null) continue;
      const since = (row.atMs - LIMITS.clockSlackMs) * 1000;
      let hops;
      try {
        hops = await this.#o.flows.event(row.eventId);
      } catch (err) {
        this.#o.log.warn({ err, redrive: r.id }, 'redrive outcome: flows store lookup failed');
        return;
      }
      const after = hops.deliveries.filter(
        (d) => d.topic === row.targetTopic && d.startUs >= since && (row.group === null || d.group === row.group),
      );
      const fate: LedgerFate = after.some((d) => d.outcome === 'processed' || d.outcome === 'duplicate')
        ? 'processed'
        : after.some((d) => d.outcome === 'dead_lettered')
          ? 'dead_lettered'
          : 'pending';
      if (fate !== row.fate) fates.push({ partition: row.partition, offset: row.offset, fate });
    }
    if (fates.length > 0) await this.#o.store.setFates(r.id, r.dlqTopic, fates);
  }
}

const sourceOf = (dlqTopic: string, row: { partition: number; offset: number }): string =>
  `${dlqTopic}/${row.partition}/${row.offset}`;

const REPLACED: ReadonlySet<string> = new Set(Object.values(DLQ_REDRIVE_HEADER));

/** The record to produce: key, value and headers kept, the `dlq-redrive-*` ones set anew. */
function redriven(rec: KafkaRecord, row: LedgerRow, r: StoredRedrive, at: number): RedriveMessage {
  const headers: [string, Buffer | null][] = [];
  for (const [name, values] of Object.entries(rec.headers)) {
    if (REPLACED.has(name)) continue;
    // A header without a value reads as a name with no values: it goes on as such, not dropped.
    if (values.length === 0) headers.push([name, null]);
    for (const v of values as unknown[]) headers.push([name, Buffer.isBuffer(v) ? v : Buffer.alloc(0)]);
  }
  const add = (name: string, value: string) => headers.push([name, Buffer.from(value, 'utf8')]);
  add(DLQ_REDRIVE_HEADER.redriveId, r.id);
  add(DLQ_REDRIVE_HEADER.redriveBy, r.createdBy);
  add(DLQ_REDRIVE_HEADER.redriveAt, String(at));
  add(DLQ_REDRIVE_HEADER.redriveCount, String(row.priorCount + 1));
  add(DLQ_REDRIVE_HEADER.source, sourceOf(r.dlqTopic, row));
  return { topic: row.targetTopic as string, key: rec.key, value: rec.value, headers, timestampMs: at };
}
