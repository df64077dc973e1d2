/**
 * The SQLite side of DLQ redrive (redrive-types.ts): redrives and their ledger in a file of
 * their own next to the flows store (`redrive.sqlite` in the data directory). Its own file, not
 * tables in eventscope.sqlite: the ledger is written synchronously on the main thread before and
 * after every produce, and must never wait on the flows store's writer thread holding that file's
 * write lock through an ingest batch. WAL with synchronous=FULL: a row written before a produce
 * is on disk before the produce starts, also across a crash of the machine.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database, { type Database as Db } from 'better-sqlite3';
import type { RedriveOutcome } from '../api-types.ts';
import type {
  LedgerEntry,
  LedgerFate,
  LedgerMove,
  LedgerRow,
  LedgerState,
  RedriveStore,
  StoredRedrive,
} from './redrive-types.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS redrives (
  id TEXT PRIMARY KEY,
  created_ms REAL NOT NULL,
  status TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS redrives_created ON redrives(created_ms);
CREATE INDEX IF NOT EXISTS redrives_running ON redrives(created_ms) WHERE status = 'running';
CREATE TABLE IF NOT EXISTS redrive_ledger (
  redrive_id TEXT NOT NULL, dlq_topic TEXT NOT NULL, part INTEGER NOT NULL, off INTEGER NOT NULL,
  event_id TEXT, target_topic TEXT, grp TEXT, prior_count INTEGER NOT NULL,
  state TEXT NOT NULL, at_ms REAL, fate TEXT, error TEXT,
  PRIMARY KEY (redrive_id, dlq_topic, part, off)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS redrive_ledger_state ON redrive_ledger(redrive_id, state, part, off);
-- The DLQ record list marks redriven records: sent rows by DLQ coordinates.
CREATE INDEX IF NOT EXISTS redrive_ledger_sent ON redrive_ledger(dlq_topic, part, off) WHERE state = 'sent';
`;
const SCHEMA_VERSION = '1';

interface LedgerDbRow {
  part: number;
  off: number;
  event_id: string | null;
  target_topic: string | null;
  grp: string | null;
  prior_count: number;
  state: LedgerState;
  at_ms: number | null;
  fate: LedgerFate | null;
  error: string | null;
}

const toLedgerRow = (r: LedgerDbRow): LedgerRow => ({
  partition: r.part,
  offset: r.off,
  eventId: r.event_id,
  targetTopic: r.target_topic,
  group: r.grp,
  priorCount: r.prior_count,
  state: r.state,
  atMs: r.at_ms,
  fate: r.fate,
  error: r.error,
});

export class SqliteRedriveStore implements RedriveStore {
  readonly #db: Db;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    const version = db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'schema'`).get();
    if (!version) db.prepare(`INSERT INTO meta(key, value) VALUES ('schema', ?)`).run(SCHEMA_VERSION);
    else if (version.value !== SCHEMA_VERSION) {
      db.close();
      throw new Error(`redrive store ${file} has schema ${version.value}; this collector needs ${SCHEMA_VERSION}`);
    }
    this.#db = db;
  }

  #body(id: string): StoredRedrive | undefined {
    const row = this.#db.prepare<[string], { body: string }>('SELECT body FROM redrives WHERE id = ?').get(id);
    return row ? (JSON.parse(row.body) as StoredRedrive) : undefined;
  }

  createRedrive(redrive: StoredRedrive, entries: readonly LedgerEntry[]): Promise<void> {
    const insRedrive = this.#db.prepare('INSERT INTO redrives (id, created_ms, status, body) VALUES (?, ?, ?, ?)');
    const insLedger = this.#db.prepare(
      `INSERT INTO redrive_ledger (redrive_id, dlq_topic, part, off, event_id, target_topic, grp, prior_count, state, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#db.transaction(() => {
      insRedrive.run(redrive.id, redrive.createdAtMs, redrive.status, JSON.stringify(redrive));
      for (const e of entries) {
        // A record that cannot be sent fails at selection; it is in the ledger so the counts add up.
        insLedger.run(
          redrive.id,
          redrive.dlqTopic,
          e.partition,
          e.offset,
          e.eventId,
          e.targetTopic,
          e.group,
          e.priorCount,
          e.error === null ? 'pending' : 'failed',
          e.error,
        );
      }
    })();
    return Promise.resolve();
  }

  updateRedrive(
    id: string,
    patch: Partial<Pick<StoredRedrive, 'status' | 'sent' | 'failed' | 'error' | 'finishedAtMs'>>,
  ): Promise<void> {
    this.#db.transaction(() => {
      const current = this.#body(id);
      if (!current) return;
      const next = { ...current, ...patch };
      this.#db
        .prepare('UPDATE redrives SET status = ?, body = ? WHERE id = ?')
        .run(next.status, JSON.stringify(next), id);
    })();
    return Promise.resolve();
  }

  getRedrive(id: string): Promise<StoredRedrive | undefined> {
    return Promise.resolve(this.#body(id));
  }

  listRedrives(limit: number): Promise<StoredRedrive[]> {
    const rows = this.#db
      .prepare<[number], { body: string }>('SELECT body FROM redrives ORDER BY created_ms DESC, id DESC LIMIT ?')
      .all(limit);
    return Promise.resolve(rows.map((r) => JSON.parse(r.body) as StoredRedrive));
  }

  runningRedrives(): Promise<StoredRedrive[]> {
    const rows = this.#db
      .prepare<[], { body: string }>(`SELECT body FROM redrives WHERE status = 'running' ORDER BY created_ms`)
      .all();
    return Promise.resolve(rows.map((r) => JSON.parse(r.body) as StoredRedrive));
  }

  ledger(id: string, state: LedgerState, limit: number): Promise<LedgerRow[]> {
    const rows = this.#db
      .prepare<[string, LedgerState, number], LedgerDbRow>(
        'SELECT * FROM redrive_ledger WHERE redrive_id = ? AND state = ? ORDER BY part, off LIMIT ?',
      )
      .all(id, state, limit);
    return Promise.resolve(rows.map(toLedgerRow));
  }

  setLedgerState({ id, dlqTopic, rows, state, atMs, error }: LedgerMove): Promise<void> {
    const upd = this.#db.prepare(
      'UPDATE redrive_ledger SET state = ?, at_ms = ?, error = ? WHERE redrive_id = ? AND dlq_topic = ? AND part = ? AND off = ?',
    );
    this.#db.transaction(() => {
      for (const r of rows) upd.run(state, atMs, error ?? null, id, dlqTopic, r.partition, r.offset);
    })();
    return Promise.resolve();
  }

  ledgerCounts(id: string): Promise<Record<LedgerState, number>> {
    const counts: Record<LedgerState, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
    const rows = this.#db
      .prepare<[string], { state: LedgerState; n: number }>(
        'SELECT state, count(*) AS n FROM redrive_ledger WHERE redrive_id = ? GROUP BY state',
      )
      .all(id);
    for (const r of rows) if (Object.hasOwn(counts, r.state)) counts[r.state] = r.n;
    return Promise.resolve(counts);
  }

  undecided(id: string, limit: number): Promise<LedgerRow[]> {
    const rows = this.#db
      .prepare<[string, number], LedgerDbRow>(
        `SELECT * FROM redrive_ledger WHERE redrive_id = ? AND state = 'sent' AND (fate IS NULL OR fate = 'pending')
         ORDER BY at_ms LIMIT ?`,
      )
      .all(id, limit);
    return Promise.resolve(rows.map(toLedgerRow));
  }

  setFates(
    id: string,
    dlqTopic: string,
    fates: readonly { partition: number; offset: number; fate: LedgerFate }[],
  ): Promise<void> {
    const upd = this.#db.prepare(
      'UPDATE redrive_ledger SET fate = ? WHERE redrive_id = ? AND dlq_topic = ? AND part = ? AND off = ?',
    );
    this.#db.transaction(() => {
      for (const f of fates) upd.run(f.fate, id, dlqTopic, f.partition, f.offset);
    })();
    return Promise.resolve();
  }

  outcome(id: string): Promise<RedriveOutcome> {
    const rows = this.#db
      .prepare<[string], { fate: LedgerFate | null; n: number }>(
        `SELECT fate, count(*) AS n FROM redrive_ledger WHERE redrive_id = ? AND state = 'sent' GROUP BY fate`,
      )
      .all(id);
    const out: RedriveOutcome = { processed: 0, deadLetteredAgain: 0, pending: 0 };
    for (const r of rows) {
      if (r.fate === 'processed') out.processed += r.n;
      else if (r.fate === 'dead_lettered') out.deadLetteredAgain += r.n;
      else out.pending += r.n;
    }
    return Promise.resolve(out);
  }

  marks(
    dlqTopic: string,
    records: readonly { partition: number; offset: number }[],
  ): Promise<Map<string, { id: string; atMs: number }[]>> {
    const q = this.#db.prepare<[string, number, number], { redrive_id: string; at_ms: number }>(
      `SELECT redrive_id, at_ms FROM redrive_ledger WHERE dlq_topic = ? AND part = ? AND off = ? AND state = 'sent'
       ORDER BY at_ms`,
    );
    const out = new Map<string, { id: string; atMs: number }[]>();
    for (const r of records) {
      const rows = q.all(dlqTopic, r.partition, r.offset);
      if (rows.length > 0) {
        out.set(
          `${r.partition}:${r.offset}`,
          rows.map((m) => ({ id: m.redrive_id, atMs: m.at_ms })),
        );
      }
    }
    return Promise.resolve(out);
  }

  close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
