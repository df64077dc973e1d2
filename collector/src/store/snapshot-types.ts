/**
 * Snapshots one collector computes and the others read: the Kafka monitor's leader (lag/leader.ts)
 * writes its lag snapshot after each poll, and the followers answer the lag API from the last one.
 * A store that several collectors share (PostgreSQL) implements this pair next to `Store`; the
 * body is opaque here (lag/shared-snapshot.ts encodes it).
 */
export interface SharedSnapshot {
  /** What it is a snapshot of, e.g. `lag`; one row per kind, the last write wins. */
  kind: string;
  /** Who wrote it (the collector's instance id), for the API and logs. */
  writer: string;
  /** When it was taken, Unix ms. */
  timeMs: number;
  body: string;
}

export interface SnapshotStore {
  /** Replaces the snapshot of `snapshot.kind`, unless the stored one is newer. */
  writeSnapshot(snapshot: SharedSnapshot): Promise<void>;
  /** The last snapshot of a kind, or undefined when none was written. */
  readSnapshot(kind: string): Promise<SharedSnapshot | undefined>;
}

/** Whether a store (or anything) also implements SnapshotStore. */
export function isSnapshotStore(x: unknown): x is SnapshotStore {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Partial<SnapshotStore>).writeSnapshot === 'function' &&
    typeof (x as Partial<SnapshotStore>).readSnapshot === 'function'
  );
}
