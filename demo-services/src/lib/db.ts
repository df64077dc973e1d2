/**
 * One SQLite file per service (every instance of a service shares it), in WAL mode so
 * readers never block the writer. Writes use `BEGIN IMMEDIATE` transactions and a busy
 * timeout, so instances of one service take turns instead of failing.
 *
 * The tables every consumer needs live here: `processed_events` (the idempotency record,
 * written in the same transaction as the side effect), `duplicates`, `dead_letters`,
 * `stats` (counters) and `outbox`.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export type Db = Database.Database;

const BASE_SCHEMA = `
CREATE TABLE IF NOT EXISTS processed_events (
  event_id     TEXT PRIMARY KEY,
  event_type   TEXT NOT NULL,
  topic        TEXT NOT NULL,
  partition    INTEGER NOT NULL,
  "offset"     INTEGER NOT NULL,
  outcome      TEXT NOT NULL,
  instance     TEXT NOT NULL,
  processed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS duplicates (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id    TEXT NOT NULL,
  topic       TEXT NOT NULL,
  partition   INTEGER NOT NULL,
  "offset"    INTEGER NOT NULL,
  instance    TEXT NOT NULL,
  seen_at     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id    TEXT,
  topic       TEXT NOT NULL,
  partition   INTEGER NOT NULL,
  "offset"    INTEGER NOT NULL,
  error_class TEXT NOT NULL,
  error       TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  at          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stats (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id      TEXT NOT NULL UNIQUE,
  event_type    TEXT NOT NULL,
  topic         TEXT NOT NULL,
  key           TEXT NOT NULL,
  value         BLOB NOT NULL,
  headers       TEXT NOT NULL,
  trace_carrier TEXT,
  created_at    INTEGER NOT NULL,
  claimed_by    TEXT,
  claimed_until INTEGER,
  sent_at       INTEGER,
  partition     INTEGER,
  "offset"      INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (sent_at, id);
`;

export function openDb(dataDir: string, service: string, schema = ''): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, `${service}.sqlite`));
  db.pragma('busy_timeout = 15000');
  // Switching a new file to WAL needs an exclusive lock and does not wait on the busy
  // timeout: instances of one service starting together retry here instead of crashing.
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      break;
    } catch (error) {
      if (!(
        error instanceof Error && /SQLITE_BUSY|locked/i.test(`${(error as { code?: string }).code} ${error.message}`)
      )) {
        throw error;
      }
      if (Date.now() > deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.random() * 80);
    }
  }
  db.pragma('synchronous = NORMAL');
  // Two instances starting at once both run this; IMMEDIATE serialises them.
  db.transaction(() => {
    db.exec(BASE_SCHEMA);
    if (schema) db.exec(schema);
  }).immediate();
  return db;
}

export function bump(db: Db, name: string, by = 1): void {
  db.prepare(
    'INSERT INTO stats (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value',
  ).run(name, by);
}

export function stat(db: Db, name: string): number {
  const row = db.prepare('SELECT value FROM stats WHERE name = ?').get(name) as { value: number } | undefined;
  return row?.value ?? 0;
}
