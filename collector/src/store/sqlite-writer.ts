/**
 * The writer thread of the threaded SQLite store (sqlite-threaded.ts): its own connection to
 * the store file runs every method that writes (ingest above all), so span decoding on the
 * main thread and SQLite's inserts run on two cores at once. Requests are handled one at a
 * time, in order; each answer carries the connection's row counters.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from './sqlite.ts';

export type WriterOp =
  | 'ingest'
  | 'addUnaccounted'
  | 'decideFindings'
  | 'withdrawFindings'
  | 'setAuditCheckpoint'
  | 'takeNewlyStuck'
  | 'takeHeldEnds'
  | 'enforceRetention'
  | 'addAuditEntry'
  | 'cacheKb';

export interface WriterRequest {
  id: number;
  op: WriterOp | 'close';
  args: unknown[];
}

export type WriterResponse =
  | { id: number; ok: true; value: unknown; rows: ReturnType<SqliteStore['rowCounts']> }
  | { id: number; ok: false; message: string; stack: string | undefined };

const port = parentPort;
if (!port) throw new Error('sqlite-writer.ts runs as a worker thread');
const { file, cacheMb } = workerData as { file: string; cacheMb?: number };
const store = new SqliteStore({ file, ...(cacheMb !== undefined ? { cacheMb } : {}) });

port.on('message', (m: WriterRequest) => {
  void (async () => {
    let res: WriterResponse;
    try {
      let value: unknown = null;
      if (m.op === 'close') await store.close();
      else value = await (store[m.op] as (...a: unknown[]) => Promise<unknown>).apply(store, m.args);
      res = { id: m.id, ok: true, value, rows: store.rowCounts() };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      res = { id: m.id, ok: false, message: e.message, stack: e.stack };
    }
    port.postMessage(res);
    if (m.op === 'close') port.close();
  })();
});
port.postMessage({ ready: true, rows: store.rowCounts() });
