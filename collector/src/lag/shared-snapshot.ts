/**
 * Lag snapshots shared among collectors through the store (store/snapshot-types.ts): the leader of
 * the monitor election writes each successful poll's snapshot; a follower reads the last one every
 * poll interval and answers the lag API, /metrics and the offsets view from it; one snapshot per
 * cluster. Nothing here talks to Kafka.
 */
import { hostname } from 'node:os';
import type { SnapshotStore } from '../store/snapshot-types.ts';
import type { MonitorLease } from './leader.ts';
import type { KafkaMonitor } from './monitor.ts';
import type { Snapshot } from './types.ts';

export const LAG_SNAPSHOT_KIND = 'lag';

/** JSON with Maps kept as Maps (the snapshot's groups and topics are keyed by data: never plain objects). */
export function encodeSnapshot(s: Snapshot): string {
  return JSON.stringify(s, (_key, value: unknown) =>
    value instanceof Map ? { $map: [...(value as Map<unknown, unknown>).entries()] } : value,
  );
}

export function decodeSnapshot(body: string): Snapshot {
  return JSON.parse(body, (_key, value: unknown) => {
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, '$map')) {
      return new Map((value as { $map: [unknown, unknown][] }).$map);
    }
    return value;
  }) as Snapshot;
}

export interface ShareOptions {
  /** The snapshot's kind in the store: `lag` for the primary cluster, `lag:<name>` for another (one row per cluster). */
  kind?: string;
  /** How often a follower reads the last snapshot (the poll interval). */
  intervalMs: number;
  /** This collector, as the snapshot's writer. */
  writer?: string;
  log: (level: 'warn', message: string, extra?: Record<string, unknown>) => void;
}

/** Writes the leader's snapshots and adopts them on a follower; returns the function that stops it. */
export function shareSnapshots(
  monitor: KafkaMonitor,
  lease: MonitorLease,
  store: SnapshotStore,
  o: ShareOptions,
): () => void {
  const writer = o.writer ?? `${hostname()}:${process.pid}`;
  const kind = o.kind ?? LAG_SNAPSHOT_KIND;
  monitor.onCycle((result) => {
    if (!lease.leading || !result.ok || !result.snapshot) return;
    const snapshot = result.snapshot;
    store
      .writeSnapshot({ kind, writer, timeMs: snapshot.time, body: encodeSnapshot(snapshot) })
      .catch((err: unknown) => o.log('warn', 'cannot share the lag snapshot through the store', { err }));
  });
  let reading = false;
  const timer = setInterval(() => {
    if (lease.leading || reading) return;
    reading = true;
    store
      .readSnapshot(kind)
      .then((shared) => {
        if (shared && shared.timeMs > (monitor.snapshot?.time ?? -1)) monitor.adopt(decodeSnapshot(shared.body));
      })
      .catch((err: unknown) => o.log('warn', 'cannot read the shared lag snapshot', { err }))
      .finally(() => (reading = false));
  }, o.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
