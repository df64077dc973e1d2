/**
 * What DLQ redrive (dlq/redrive/) keeps in the store: each redrive's state, and its ledger,
 * one row per selected DLQ record keyed by (redrive id, DLQ topic, partition, offset). One store
 * per Kafka cluster (the primary's `redrive.sqlite` in the data directory, another's in
 * `clusters/<name>/`), so the ledger and the marks are keyed by cluster too. The
 * ledger row says `sending` before the record is produced and `sent` after the broker's ack,
 * which is what makes a redrive at most once per record across a crash (see engine.ts).
 * A separate interface from `Store`: implemented by SQLite now (sqlite-redrive.ts) and
 * PostgreSQL later, with the same contract.
 */
import type { Redrive, RedriveOutcome } from '../api-types.ts';

/**
 * A redrive as stored: the API's shape without the outcome (counted from the ledger's fates) and
 * the cluster (each cluster's redrives are in a store of their own, in that cluster's data directory).
 */
export type StoredRedrive = Omit<Redrive, 'outcome' | 'cluster'>;

/** pending: not produced yet; sending: produce started (maybe written); sent: acknowledged; failed: not sent. */
export type LedgerState = 'pending' | 'sending' | 'sent' | 'failed';
/** What happened to a sent record's event after the redrive (from the flows store). */
export type LedgerFate = 'processed' | 'dead_lettered' | 'pending';

export interface LedgerEntry {
  partition: number;
  offset: number;
  eventId: string | null;
  /** Where it goes: the original topic or `<group>.retry`; null when the record names none (then failed). */
  targetTopic: string | null;
  /** The group that failed it (`dlq-consumer-group`), whose deliveries decide the fate. */
  group: string | null;
  /** How many times it was redriven before (its `dlq-redrive-count`), for the next count. */
  priorCount: number;
  /** Set when the record cannot be sent at all (no target named, target missing): stored as failed. */
  error: string | null;
}

export interface LedgerRow extends LedgerEntry {
  state: LedgerState;
  /** When the produce started (sending) or was acknowledged (sent), ms. */
  atMs: number | null;
  fate: LedgerFate | null;
}

/** Ledger rows of one redrive moving to a state. */
export interface LedgerMove {
  id: string;
  dlqTopic: string;
  rows: readonly { partition: number; offset: number }[];
  state: LedgerState;
  atMs: number | null;
  error?: string;
}

export interface RedriveStore {
  createRedrive(redrive: StoredRedrive, entries: readonly LedgerEntry[]): Promise<void>;
  /** Updates the counters, status, error and finish time. */
  updateRedrive(
    id: string,
    patch: Partial<Pick<StoredRedrive, 'status' | 'sent' | 'failed' | 'error' | 'finishedAtMs'>>,
  ): Promise<void>;
  getRedrive(id: string): Promise<StoredRedrive | undefined>;
  /** Newest first. */
  listRedrives(limit: number): Promise<StoredRedrive[]>;
  /** Redrives still `running` (to resume after a restart), oldest first. */
  runningRedrives(): Promise<StoredRedrive[]>;
  /** Ledger rows of a redrive in a state, by partition and offset. */
  ledger(id: string, state: LedgerState, limit: number): Promise<LedgerRow[]>;
  /** Moves rows to a state (one transaction), with the time and an error for `failed`. */
  setLedgerState(move: LedgerMove): Promise<void>;
  /** Counts by state. */
  ledgerCounts(id: string): Promise<Record<LedgerState, number>>;
  /** Sent rows whose fate is not decided yet (null or pending), oldest first. */
  undecided(id: string, limit: number): Promise<LedgerRow[]>;
  setFates(
    id: string,
    dlqTopic: string,
    fates: readonly { partition: number; offset: number; fate: LedgerFate }[],
  ): Promise<void>;
  /** Sent rows by fate (pending includes the undecided ones). */
  outcome(id: string): Promise<RedriveOutcome>;
  /** Redrives that sent these DLQ records, by `partition:offset`, oldest first. */
  marks(
    dlqTopic: string,
    records: readonly { partition: number; offset: number }[],
  ): Promise<Map<string, { id: string; atMs: number }[]>>;
  close(): Promise<void>;
}
