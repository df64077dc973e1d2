/**
 * SnapshotStore on SQLite (snapshot-types.ts): one table, one row per kind, in the store's file
 * through a connection of its own (the store writes on its worker thread; WAL lets both write in
 * turn). Collectors only share it when they share the file; PostgreSQL is the store several share.
 */
import type { Database as Db } from 'better-sqlite3';
import { openDatabase } from './sqlite-schema.ts';
import type { SharedSnapshot, SnapshotStore } from './snapshot-types.ts';

interface Row {
  kind: string;
  writer: string;
  time_ms: number;
  body: string;
}

export class SqliteSnapshotStore implements SnapshotStore {
  readonly #db: Db;

  constructor(file: string) {
    this.#db = openDatabase({ file });
    this.#db.exec(
      'CREATE TABLE IF NOT EXISTS shared_snapshots (kind TEXT PRIMARY KEY, writer TEXT NOT NULL, time_ms INTEGER NOT NULL, body TEXT NOT NULL) WITHOUT ROWID',
    );
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async: the SnapshotStore contract
  async writeSnapshot(s: SharedSnapshot): Promise<void> {
    this.#db
      .prepare(
        `INSERT INTO shared_snapshots (kind, writer, time_ms, body) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind) DO UPDATE SET writer = excluded.writer, time_ms = excluded.time_ms, body = excluded.body
         WHERE excluded.time_ms >= time_ms`,
      )
      .run(s.kind, s.writer, s.timeMs, s.body);
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- async: the SnapshotStore contract
  async readSnapshot(kind: string): Promise<SharedSnapshot | undefined> {
    const row = this.#db
      .prepare<[string], Row>('SELECT kind, writer, time_ms, body FROM shared_snapshots WHERE kind = ?')
      .get(kind);
    return row ? { kind: row.kind, writer: row.writer, timeMs: row.time_ms, body: row.body } : undefined;
  }

  close(): void {
    this.#db.close();
  }
}
