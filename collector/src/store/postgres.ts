/**
 * The PostgreSQL store (`store: postgres`): the Store contract on a PostgreSQL server, for
 * stores larger than one file and for several collectors sharing one store.
 *
 * The work lives by concern next to this entry:
 * - postgres-schema.ts: versioned migrations (run at start under an advisory lock) and the hop
 *   tables' partitions (created ahead of their sequence)
 * - postgres-ingest.ts: ingest and the saga state machine (shared with SQLite), batched writes
 * - postgres-queries.ts: flows (event, trace, saga, sagas, search) and the access audit log; a
 *   lookup by event id reads the partitions `event_partitions` names for it (ADR 0007)
 * - postgres-audit.ts: the loss audit's queries
 * - postgres-retention.ts: size, row counts and retention by dropping partitions
 *
 * Concurrent writers (two collector processes, or this process's ingest and sweeps): ingest
 * and retention run in transactions holding one transaction-level advisory lock per store, so
 * they apply one at a time in commit order and every batch sees what the previous committed
 * (postgres-ingest.ts says why that gives the saga state machine one collector's results); the
 * sweeps (`takeNewlyStuck`, `takeHeldEnds`) run under the same lock and claim rows with one
 * UPDATE, so a saga is reported by one collector, never between a batch's read and write of it;
 * finding decisions are single conditional UPDATEs (the first decision wins). Reads take no locks.
 */
import pg from 'pg';
import type * as T from './types.ts';
import * as audit from './postgres-audit.ts';
import { INGEST_LOCK, ingestBatch, takeHeldEnds, takeNewlyStuck } from './postgres-ingest.ts';
import * as flows from './postgres-queries.ts';
import { enforceRetention, stats } from './postgres-retention.ts';
import { ensurePartitions, inTransaction, migrate } from './postgres-schema.ts';

export interface PostgresStoreOptions {
  /** Connection URL (`postgres://user:password@host:port/database`). */
  url: string;
  /** Connections in the pool. */
  poolSize: number;
  /** Rows per partition of the hop tables (postgres-schema.ts). */
  partitionRows: number;
  /** Ingest time a hop partition spans at most, seconds (ADR 0006); undefined: partitions bounded by rows only. */
  partitionSeconds?: number;
  /** A schema of its own (created when missing) instead of the connection's default; tests use one per store. */
  schema?: string;
  /** Told before a schema migration starts. */
  onMigrate?: (message: string) => void;
  /** Told when the server went away: an idle connection broke, or ingest waits for the server to come back. */
  onError?: (err: Error) => void;
}

/**
 * int8 (counts, bigint columns) and numeric (sums) as JS numbers: every value the store keeps is
 * below 2^53. The store's queries rely on it (a client of the store's tables needs it too).
 */
const INT8_OID = 20;
const NUMERIC_OID = 1700;
const toNumber = (v: string): number => Number(v);
const builtinParser = pg.types.getTypeParser.bind(pg.types) as (
  oid: number,
  format?: 'text' | 'binary',
) => (value: string) => unknown;
export const numberTypes = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID || oid === NUMERIC_OID ? toNumber : builtinParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** Serialization failures and deadlocks: the transaction can simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/** The SQLSTATE of a server's answer; undefined for a failure of the connection itself (ECONNREFUSED, ...). */
function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The server is away or on its way down or up: connection failures, class 08, shutdown and start-up. */
export function serverAway(err: unknown): boolean {
  const state = sqlState(err);
  return state === undefined || state.startsWith('08') || ['57P01', '57P02', '57P03'].includes(state);
}

/** Waits between attempts to reach a server that is away: 100 ms, doubling to 2 s. */
const awayBackoffMs = (attempt: number): number => Math.min(2_000, 100 * 2 ** Math.min(attempt, 5));

export class PostgresStore implements T.Store {
  readonly kind = 'postgres';
  readonly #pool: pg.Pool;
  readonly #partitionRows: number;
  readonly #partitionSeconds: number | undefined;
  readonly #onAway: ((err: Error) => void) | undefined;
  #closing = false;

  private constructor(pool: pg.Pool, options: PostgresStoreOptions) {
    this.#pool = pool;
    this.#partitionRows = options.partitionRows;
    this.#partitionSeconds = options.partitionSeconds;
    this.#onAway = options.onError;
  }

  /** Connects, creates the schema when asked, and applies pending migrations. */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const { schema } = options;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new Error(`schema name ${JSON.stringify(schema)}: lowercase letters, digits and _ only`);
    }
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      types: numberTypes,
      connectionTimeoutMillis: 5_000,
      application_name: 'eventscope-collector',
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    });
    // An idle connection whose server went away: reported, not thrown (the pool drops it).
    pool.on('error', (err) => options.onError?.(err));
    try {
      await migrate(pool, schema, options.onMigrate);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresStore(pool, options);
  }

  /**
   * Runs `fn` in a transaction on a connection of its own, again when PostgreSQL asks for a
   * retry, and, with `untilServerBack`, again and again while the server is away (until the store
   * is closed). That is how ingest holds its batch through an outage: the intake queue behind it
   * fills and refuses with 503 + Retry-After, and the batch is written once the server is back.
   * A batch that is run twice (the server went away during COMMIT, which may have succeeded)
   * changes nothing the second time: its spans are found stored and skipped.
   */
  async #transaction<T>(fn: (c: pg.PoolClient) => Promise<T>, untilServerBack = false): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let c: pg.PoolClient | undefined;
      try {
        c = await this.#pool.connect();
        const client = c;
        const result = await inTransaction(client, () => fn(client));
        client.release();
        return result;
      } catch (err) {
        const state = sqlState(err);
        // A connection that failed (rather than a statement on it) is dropped, not reused.
        c?.release(state === undefined ? (err as Error) : undefined);
        if (state !== undefined && RETRYABLE.has(state) && attempt < 5) continue;
        if (!untilServerBack || !serverAway(err) || this.#closing) throw err;
        this.#onAway?.(err as Error);
        await new Promise((resolve) => setTimeout(resolve, awayBackoffMs(attempt)));
      }
    }
  }

  /** Runs `fn` with a connection of the pool (several statements, no transaction of their own). */
  async #withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      return await fn(c);
    } catch (err) {
      if ((err as { code?: string }).code === undefined) broken = err as Error;
      throw err;
    } finally {
      c.release(broken);
    }
  }

  /** Undefined when the server answers, else why not (for /readyz). */
  async unavailable(): Promise<string | undefined> {
    try {
      await this.#pool.query('SELECT 1');
      return undefined;
    } catch (err) {
      return `PostgreSQL does not answer: ${(err as Error).message}`;
    }
  }

  ingest(batch: T.IngestBatch): Promise<T.IngestResult> {
    const need = {
      publishes: batch.publishes.length,
      deliveries: batch.deliveries.length,
      // A record per tapped record, per publish and per delivery at most.
      records: batch.records.length + batch.publishes.length + batch.deliveries.length,
    };
    return this.#transaction(async (c) => {
      await c.query(INGEST_LOCK);
      const bounds = {
        rows: this.#partitionRows,
        seconds: this.#partitionSeconds,
        nowS: Math.floor(Date.now() / 1000),
      };
      await ensurePartitions(c, bounds, need);
      return ingestBatch(c, batch);
    }, true);
  }

  event(eventId: string): Promise<T.EventHops> {
    return flows.eventHops(this.#pool, eventId);
  }

  trace(traceId: string): Promise<{ publishes: T.Publish[]; deliveries: T.Delivery[] }> {
    return flows.traceHops(this.#pool, traceId);
  }

  saga(correlationId: string): Promise<{ summary: T.SagaSummary; hops: T.EventHops } | undefined> {
    return flows.sagaHops(this.#pool, correlationId);
  }

  sagas(f: T.SagaFilter): Promise<T.SagaPage> {
    return flows.sagaPage(this.#pool, f);
  }

  sagaCounts(f: T.SagaCountFilter): Promise<Record<T.SagaStatus, number>> {
    return flows.sagaCounts(this.#pool, f);
  }

  search(q: string): Promise<{ event: boolean; trace: boolean; saga: boolean }> {
    return flows.search(this.#pool, q);
  }

  eventIdsByPrefix(prefix: string, limit: number): Promise<string[]> {
    return flows.eventIdsByPrefix(this.#pool, prefix, limit);
  }

  recordAt(
    topic: string,
    partition: number,
    offset: number,
  ): Promise<{ record: T.RecordRef | null; deliveries: T.Delivery[] }> {
    return flows.recordAt(this.#pool, topic, partition, offset);
  }

  instrumentedGroups(): Promise<T.InstrumentedPartition[]> {
    return audit.instrumentedGroups(this.#pool);
  }

  unaccountedCandidates(
    q: Parameters<T.Store['unaccountedCandidates']>[0],
  ): Promise<{ records: T.RecordRef[]; nextCheckpoint: number }> {
    return audit.unaccountedCandidates(this.#pool, q);
  }

  addUnaccounted(entries: T.UnaccountedEntry[]): Promise<number> {
    return audit.addUnaccounted(this.#pool, entries);
  }

  openFindings(limit: number): Promise<T.UnaccountedEntry[]> {
    return audit.openFindings(this.#pool, limit);
  }

  findingEvidence(f: T.UnaccountedEntry): Promise<T.FindingEvidence> {
    return audit.findingEvidence(this.#pool, f);
  }

  decideFindings(decisions: T.FindingDecision[]): Promise<T.FindingDecision[]> {
    return audit.decideFindings(this.#pool, decisions);
  }

  findingCounts(): Promise<T.FindingCount[]> {
    return audit.findingCounts(this.#pool);
  }

  withdrawFindings(keys: T.FindingKey[]): Promise<number> {
    return audit.withdrawFindings(this.#pool, keys);
  }

  auditCheckpoint(group: string, topic: string, partition: number): Promise<number | undefined> {
    return audit.auditCheckpoint(this.#pool, group, topic, partition);
  }

  setAuditCheckpoint(group: string, topic: string, partition: number, offset: number): Promise<void> {
    return audit.setAuditCheckpoint(this.#pool, group, topic, partition, offset);
  }

  duplicates(limit: number): Promise<T.DuplicateEntry[]> {
    return audit.duplicates(this.#pool, limit);
  }

  unaccounted(limit: number, cls?: T.FindingClass): Promise<T.UnaccountedEntry[]> {
    return audit.unaccounted(this.#pool, limit, cls);
  }

  // The sweeps change saga rows an ingest batch may hold in memory: under the ingest lock, so a
  // batch never writes back a row a sweep changed since (an end reported twice).
  takeNewlyStuck(beforeUs: number, limit: number): Promise<T.SagaSummary[]> {
    return this.#transaction(async (c) => {
      await c.query(INGEST_LOCK);
      return takeNewlyStuck(c, beforeUs, limit);
    });
  }

  takeHeldEnds(beforeUs: number, limit: number): Promise<T.IngestResult['sagasEnded']> {
    return this.#transaction(async (c) => {
      await c.query(INGEST_LOCK);
      return takeHeldEnds(c, beforeUs, limit);
    });
  }

  addAuditEntry(entry: Omit<T.AuditEntry, 'id'>): Promise<number> {
    return flows.addAuditEntry(this.#pool, entry);
  }

  auditLog(q: T.AuditLogQuery): Promise<T.AuditEntry[]> {
    return flows.auditPage(this.#pool, q);
  }

  stats(): Promise<T.StoreStats> {
    return this.#withClient((c) => stats(c));
  }

  enforceRetention(policy: T.RetentionPolicy): Promise<number> {
    return this.#withClient((c) => enforceRetention(c, policy));
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (!this.#pool.ended) await this.#pool.end();
  }
}
