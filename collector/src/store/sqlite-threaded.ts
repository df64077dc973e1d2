/**
 * The SQLite store with its writes on a worker thread (sqlite-writer.ts): `ingest` and the
 * other writing methods run there, on a connection of their own, while reads run on this
 * thread's connection to the same file. WAL lets the reader read while the writer writes, and
 * a write is visible to the next read once its promise resolves (the transaction committed).
 * The ingest path thus uses both cores: OTLP decoding and assembling here, SQLite's inserts and
 * index updates there. Results, stored rows and errors are the same as SqliteStore's.
 */
import { Worker } from 'node:worker_threads';
import { CONFIG_KEYS } from '../config.ts';
import { SqliteStore } from './sqlite.ts';
import type { WriterOp, WriterRequest, WriterResponse } from './sqlite-writer.ts';
import type * as T from './types.ts';

// The same extension as this module: .ts when run from source, .js when built.
const WRITER = new URL(`./sqlite-writer${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class ThreadedSqliteStore implements T.Store {
  readonly kind = 'sqlite';
  readonly #reader: SqliteStore;
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #dead: Error | undefined;
  #closed: Promise<void> | undefined;

  private constructor(reader: SqliteStore, worker: Worker) {
    this.#reader = reader;
    this.#worker = worker;
    worker.on('message', (m: WriterResponse) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) {
        this.#reader.setRowCounts(m.rows);
        p.resolve(m.value);
      } else {
        const err = new Error(m.message);
        if (m.stack) err.stack = m.stack;
        p.reject(err);
      }
    });
    const fail = (err: Error): void => {
      this.#dead ??= err;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the store's writer thread exited (code ${code})`)));
  }

  /** Opens the file (creating the schema on this thread first), then starts the writer thread on it. */
  static async open(options: {
    file: string;
    onMigrate?: (message: string) => void;
    /** Page cache per connection (the writer's and the reader's), MB; default the config's storeCacheMb. */
    cacheMb?: number;
  }): Promise<ThreadedSqliteStore> {
    if (options.file === ':memory:') throw new Error('the threaded store needs a file (use SqliteStore for :memory:)');
    const cacheMb = options.cacheMb ?? CONFIG_KEYS.storeCacheMb.default;
    const reader = new SqliteStore({ ...options, cacheMb });
    const worker = new Worker(WRITER, { workerData: { file: options.file, cacheMb } });
    try {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        const onExit = (code: number): void => reject(new Error(`the store's writer thread exited (code ${code})`));
        worker.once('error', onError);
        worker.once('exit', onExit);
        worker.once('message', (m: { ready?: boolean; rows: T.StoreStats['rows'] }) => {
          worker.off('error', onError);
          worker.off('exit', onExit);
          reader.setRowCounts(m.rows);
          resolve();
        });
      });
    } catch (err) {
      await reader.close();
      await worker.terminate();
      throw err;
    }
    return new ThreadedSqliteStore(reader, worker);
  }

  #call<T>(op: WriterOp | 'close', args: unknown[]): Promise<T> {
    if (this.#dead) return Promise.reject(this.#dead);
    return new Promise<T>((resolve, reject) => {
      const id = this.#nextId++;
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const req: WriterRequest = { id, op, args };
      this.#worker.postMessage(req);
    });
  }

  ingest(batch: T.IngestBatch): Promise<T.IngestResult> {
    return this.#call('ingest', [batch]);
  }

  addUnaccounted(entries: T.UnaccountedEntry[]): Promise<number> {
    return this.#call('addUnaccounted', [entries]);
  }

  setAuditCheckpoint(group: string, topic: string, partition: number, offset: number): Promise<void> {
    return this.#call('setAuditCheckpoint', [group, topic, partition, offset]);
  }

  takeHeldEnds(beforeUs: number, limit: number): Promise<T.IngestResult['sagasEnded']> {
    return this.#call('takeHeldEnds', [beforeUs, limit]);
  }

  takeNewlyStuck(beforeUs: number, limit: number): Promise<T.SagaSummary[]> {
    return this.#call('takeNewlyStuck', [beforeUs, limit]);
  }

  enforceRetention(policy: T.RetentionPolicy): Promise<number> {
    return this.#call('enforceRetention', [policy]);
  }

  addAuditEntry(entry: Omit<T.AuditEntry, 'id'>): Promise<number> {
    return this.#call('addAuditEntry', [entry]);
  }

  auditLog(q: T.AuditLogQuery): Promise<T.AuditEntry[]> {
    return this.#reader.auditLog(q);
  }

  event(eventId: string): Promise<T.EventHops> {
    return this.#reader.event(eventId);
  }

  trace(traceId: string): Promise<{ publishes: T.Publish[]; deliveries: T.Delivery[] }> {
    return this.#reader.trace(traceId);
  }

  saga(correlationId: string): Promise<{ summary: T.SagaSummary; hops: T.EventHops } | undefined> {
    return this.#reader.saga(correlationId);
  }

  sagas(filter: T.SagaFilter): Promise<T.SagaPage> {
    return this.#reader.sagas(filter);
  }

  sagaCounts(filter: T.SagaCountFilter): Promise<Record<T.SagaStatus, number>> {
    return this.#reader.sagaCounts(filter);
  }

  search(q: string): Promise<{ event: boolean; trace: boolean; saga: boolean }> {
    return this.#reader.search(q);
  }

  eventIdsByPrefix(prefix: string, limit: number): Promise<string[]> {
    return this.#reader.eventIdsByPrefix(prefix, limit);
  }

  recordAt(
    topic: string,
    partition: number,
    offset: number,
  ): Promise<{ record: T.RecordRef | null; deliveries: T.Delivery[] }> {
    return this.#reader.recordAt(topic, partition, offset);
  }

  instrumentedGroups(): Promise<T.InstrumentedPartition[]> {
    return this.#reader.instrumentedGroups();
  }

  unaccountedCandidates(
    q: Parameters<T.Store['unaccountedCandidates']>[0],
  ): Promise<{ records: T.RecordRef[]; nextCheckpoint: number }> {
    return this.#reader.unaccountedCandidates(q);
  }

  auditCheckpoint(group: string, topic: string, partition: number): Promise<number | undefined> {
    return this.#reader.auditCheckpoint(group, topic, partition);
  }

  duplicates(limit: number): Promise<T.DuplicateEntry[]> {
    return this.#reader.duplicates(limit);
  }

  unaccounted(limit: number, cls?: T.FindingClass): Promise<T.UnaccountedEntry[]> {
    return this.#reader.unaccounted(limit, cls);
  }

  openFindings(limit: number): Promise<T.UnaccountedEntry[]> {
    return this.#reader.openFindings(limit);
  }

  findingEvidence(f: T.UnaccountedEntry): Promise<T.FindingEvidence> {
    return this.#reader.findingEvidence(f);
  }

  decideFindings(decisions: T.FindingDecision[]): Promise<T.FindingDecision[]> {
    return this.#call('decideFindings', [decisions]);
  }

  withdrawFindings(keys: T.FindingKey[]): Promise<number> {
    return this.#call('withdrawFindings', [keys]);
  }

  findingCounts(): Promise<T.FindingCount[]> {
    return this.#reader.findingCounts();
  }

  stats(): Promise<T.StoreStats> {
    return this.#reader.stats();
  }

  /** The page cache limit of each connection, KiB. */
  async cacheKb(): Promise<{ reader: number; writer: number }> {
    return { reader: await this.#reader.cacheKb(), writer: await this.#call<number>('cacheKb', []) };
  }

  /** The writer thread's V8 heap (its own isolate: not in the main thread's process.memoryUsage() heap figures). */
  async writerHeap(): Promise<{ usedBytes: number; totalBytes: number }> {
    const h = await this.#worker.getHeapStatistics();
    return { usedBytes: h.used_heap_size, totalBytes: h.total_heap_size };
  }

  /** Waits for the writes already asked for, closes the writer (it checkpoints the WAL), then the reader. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (!this.#dead) {
        const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
        try {
          await this.#call('close', []);
          await exited;
        } catch {
          await this.#worker.terminate();
        }
      }
      this.#dead ??= new Error('the store is closed');
      await this.#reader.close();
    })();
    return this.#closed;
  }
}
