/**
 * SnapshotStore on PostgreSQL (snapshot-types.ts): the lag snapshot the monitor election's leader
 * writes and every other collector on the same database reads. One small table, one row per kind,
 * on a connection pool of its own (one connection: a write per poll, a read per poll interval).
 */
import pg from 'pg';
import type { SharedSnapshot, SnapshotStore } from './snapshot-types.ts';

const CREATE = `CREATE TABLE IF NOT EXISTS shared_snapshots (
  kind text PRIMARY KEY, writer text NOT NULL, time_ms bigint NOT NULL, body text NOT NULL)`;
/** Two collectors creating the table at once: one of them meets this (pg_type's unique index). */
const UNIQUE_VIOLATION = '23505';

export class PostgresSnapshotStore implements SnapshotStore {
  readonly #pool: pg.Pool;
  #ready: Promise<void> | undefined;

  constructor(url: string) {
    this.#pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5_000 });
    // An idle connection the server dropped: the next query opens another.
    this.#pool.on('error', () => undefined);
  }

  /** The table, created on first use (again after a failure). */
  #table(): Promise<void> {
    this.#ready ??= this.#pool
      .query(CREATE)
      .then(() => undefined)
      .catch((err: unknown) => {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) return;
        this.#ready = undefined;
        throw err;
      });
    return this.#ready;
  }

  async writeSnapshot(s: SharedSnapshot): Promise<void> {
    await this.#table();
    await this.#pool.query(
      `INSERT INTO shared_snapshots (kind, writer, time_ms, body) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind) DO UPDATE SET writer = excluded.writer, time_ms = excluded.time_ms, body = excluded.body
       WHERE excluded.time_ms >= shared_snapshots.time_ms`,
      [s.kind, s.writer, s.timeMs, s.body],
    );
  }

  async readSnapshot(kind: string): Promise<SharedSnapshot | undefined> {
    await this.#table();
    const res = await this.#pool.query<{ kind: string; writer: string; time_ms: string; body: string }>(
      'SELECT kind, writer, time_ms, body FROM shared_snapshots WHERE kind = $1',
      [kind],
    );
    const row = res.rows[0];
    return row ? { kind: row.kind, writer: row.writer, timeMs: Number(row.time_ms), body: row.body } : undefined;
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
