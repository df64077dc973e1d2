/**
 * The embedded store: one SQLite file (better-sqlite3, WAL) under the data directory.
 *
 * Rows are compact (trace and span ids as 16/8-byte blobs, times as integer microseconds)
 * and nothing is cached in memory beyond row counters, so memory stays flat however many
 * events are stored. Every write batch is one transaction of prepared statements.
 *
 * This class is the entry; the work lives by concern next to it:
 * - sqlite-schema.ts: tables, migrations, the connection's settings
 * - sqlite-statements.ts: every statement, prepared once and typed; sqlite-rows.ts: their rows
 * - sqlite-ingest.ts: ingest and the saga state machine
 * - sqlite-queries.ts: flows (event, trace, saga, sagas, search) and the access audit log
 * - sqlite-audit.ts: the loss audit's queries
 * - sqlite-retention.ts: size, row counts and retention
 */
import type { Database as Db } from 'better-sqlite3';
import type {
  AuditEntry,
  AuditLogQuery,
  Delivery,
  DuplicateEntry,
  EventHops,
  FindingClass,
  FindingCount,
  FindingDecision,
  FindingEvidence,
  FindingKey,
  IngestBatch,
  IngestResult,
  InstrumentedPartition,
  Publish,
  RecordRef,
  RetentionPolicy,
  SagaCountFilter,
  SagaFilter,
  SagaPage,
  SagaStatus,
  SagaSummary,
  Store,
  StoreStats,
  UnaccountedEntry,
} from './types.ts';
import * as audit from './sqlite-audit.ts';
import { ingestBatch, takeHeldEnds, takeNewlyStuck } from './sqlite-ingest.ts';
import {
  addAuditEntry,
  auditPage,
  eventHops,
  eventIdsByPrefix,
  recordAt,
  sagaCounts,
  sagaHops,
  sagaPage,
  search,
  traceHops,
} from './sqlite-queries.ts';
import { enforceRetention, hopRows, pragmaNumber, stats } from './sqlite-retention.ts';
import { openDatabase, type SqliteStoreOptions } from './sqlite-schema.ts';
import { prepareStatements, type Conn } from './sqlite-statements.ts';

export type { SqliteStoreOptions } from './sqlite-schema.ts';

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly #db: Db;
  readonly #c: Conn;
  readonly #ingestTx: (batch: IngestBatch) => IngestResult;

  constructor(options: SqliteStoreOptions) {
    const db = openDatabase(options);
    this.#db = db;
    const s = prepareStatements(db);
    this.#c = {
      db,
      s,
      rows: {
        publishes: hopRows(db, 'publishes'),
        deliveries: hopRows(db, 'deliveries'),
        records: hopRows(db, 'records'),
        sagas: s.countSagas.get()?.n ?? 0,
      },
    };
    this.#ingestTx = db.transaction((batch: IngestBatch) => ingestBatch(this.#c, batch));
  }

  /** This connection's page cache limit, KiB (`cacheMb`). */
  // eslint-disable-next-line @typescript-eslint/require-await -- async: the threaded store answers from its writer thread
  async cacheKb(): Promise<number> {
    return Math.abs(pragmaNumber(this.#db, 'cache_size'));
  }

  /** Row counters (publishes, deliveries, sagas) as this connection maintains them. */
  rowCounts(): StoreStats['rows'] {
    return { ...this.#c.rows };
  }

  /**
   * Takes the row counters of the connection that writes (sqlite-threaded.ts: the writer thread),
   * so a connection that only reads reports the same `stats()`.
   */
  setRowCounts(rows: StoreStats['rows']): void {
    this.#c.rows.publishes = rows.publishes;
    this.#c.rows.deliveries = rows.deliveries;
    this.#c.rows.sagas = rows.sagas;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a throw becomes a rejection
  async ingest(batch: IngestBatch): Promise<IngestResult> {
    return this.#ingestTx(batch);
  }

  event(eventId: string): Promise<EventHops> {
    return Promise.resolve(eventHops(this.#c, eventId));
  }

  trace(traceId: string): Promise<{ publishes: Publish[]; deliveries: Delivery[] }> {
    return Promise.resolve(traceHops(this.#c, traceId));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a throw becomes a rejection
  async saga(correlationId: string): Promise<{ summary: SagaSummary; hops: EventHops } | undefined> {
    return sagaHops(this.#c, correlationId);
  }

  sagas(f: SagaFilter): Promise<SagaPage> {
    return Promise.resolve(sagaPage(this.#c, f));
  }

  sagaCounts(f: SagaCountFilter): Promise<Record<SagaStatus, number>> {
    return Promise.resolve(sagaCounts(this.#c, f));
  }

  search(q: string): Promise<{ event: boolean; trace: boolean; saga: boolean }> {
    return Promise.resolve(search(this.#c, q));
  }

  eventIdsByPrefix(prefix: string, limit: number): Promise<string[]> {
    return Promise.resolve(eventIdsByPrefix(this.#c, prefix, limit));
  }

  recordAt(
    topic: string,
    partition: number,
    offset: number,
  ): Promise<{ record: RecordRef | null; deliveries: Delivery[] }> {
    return Promise.resolve(recordAt(this.#c, topic, partition, offset));
  }

  instrumentedGroups(): Promise<InstrumentedPartition[]> {
    return Promise.resolve(audit.instrumentedGroups(this.#c));
  }

  unaccountedCandidates(
    q: Parameters<Store['unaccountedCandidates']>[0],
  ): Promise<{ records: RecordRef[]; nextCheckpoint: number }> {
    return Promise.resolve(audit.unaccountedCandidates(this.#c, q));
  }

  addUnaccounted(entries: UnaccountedEntry[]): Promise<number> {
    return Promise.resolve(audit.addUnaccounted(this.#c, entries));
  }

  auditCheckpoint(group: string, topic: string, partition: number): Promise<number | undefined> {
    return Promise.resolve(audit.auditCheckpoint(this.#c, group, topic, partition));
  }

  setAuditCheckpoint(group: string, topic: string, partition: number, offset: number): Promise<void> {
    audit.setAuditCheckpoint(this.#c, group, topic, partition, offset);
    return Promise.resolve();
  }

  duplicates(limit: number): Promise<DuplicateEntry[]> {
    return Promise.resolve(audit.duplicates(this.#c, limit));
  }

  unaccounted(limit: number, cls?: FindingClass): Promise<UnaccountedEntry[]> {
    return Promise.resolve(audit.unaccounted(this.#c, limit, cls));
  }

  openFindings(limit: number): Promise<UnaccountedEntry[]> {
    return Promise.resolve(audit.openFindings(this.#c, limit));
  }

  findingEvidence(f: UnaccountedEntry): Promise<FindingEvidence> {
    return Promise.resolve(audit.findingEvidence(this.#c, f));
  }

  decideFindings(decisions: FindingDecision[]): Promise<FindingDecision[]> {
    return Promise.resolve(audit.decideFindings(this.#c, decisions));
  }

  withdrawFindings(keys: FindingKey[]): Promise<number> {
    return Promise.resolve(audit.withdrawFindings(this.#c, keys));
  }

  findingCounts(): Promise<FindingCount[]> {
    return Promise.resolve(audit.findingCounts(this.#c));
  }

  takeHeldEnds(beforeUs: number, limit: number): Promise<IngestResult['sagasEnded']> {
    return Promise.resolve(takeHeldEnds(this.#c, beforeUs, limit));
  }

  takeNewlyStuck(beforeUs: number, limit: number): Promise<SagaSummary[]> {
    return Promise.resolve(takeNewlyStuck(this.#c, beforeUs, limit));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a throw becomes a rejection
  async addAuditEntry(e: Omit<AuditEntry, 'id'>): Promise<number> {
    return addAuditEntry(this.#c, e);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async so a throw becomes a rejection
  async auditLog(q: AuditLogQuery): Promise<AuditEntry[]> {
    return auditPage(this.#c, q);
  }

  stats(): Promise<StoreStats> {
    return Promise.resolve(stats(this.#c));
  }

  enforceRetention(policy: RetentionPolicy): Promise<number> {
    return Promise.resolve(enforceRetention(this.#c, policy));
  }

  close(): Promise<void> {
    if (this.#db.open) {
      this.#db.pragma('wal_checkpoint(TRUNCATE)');
      this.#db.close();
    }
    return Promise.resolve();
  }
}
