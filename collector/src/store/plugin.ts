/**
 * The store capability: opens the configured store (SQLite under `dataDir`, or PostgreSQL at
 * `postgresUrl`), enforces retention in the background, exports its size, and closes it with
 * the app. Other capabilities use `app.store`. A PostgreSQL store that stops answering makes
 * /readyz report `store` not ready (the intake holds spans meanwhile, traces/intake.ts).
 */
import { join } from 'node:path';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { CollectorError } from '../errors.ts';
import { ThreadedSqliteStore } from './sqlite-threaded.ts';
import type { Store } from './types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    store: Store;
  }
}

export interface StorePluginOptions {
  /** How often retention runs (default 60 s). */
  retentionIntervalMs?: number;
}

/** The file of the embedded store inside the data directory. */
const sqliteFile = (dataDir: string): string => join(dataDir, 'eventscope.sqlite');

export const storePlugin = fp<StorePluginOptions>(
  async (app, opts) => {
    const { config } = app;
    let store: Store;
    try {
      if (config.store === 'postgres') {
        // The PostgreSQL driver is loaded only with a PostgreSQL store (~1.5 MB of heap).
        const { PostgresStore } = await import('./postgres.ts');
        const pgStore = await PostgresStore.open({
          url: config.postgresUrl,
          poolSize: config.postgresPoolSize,
          partitionRows: config.postgresPartitionRows,
          partitionSeconds: config.postgresPartitionSeconds,
          onMigrate: (message) => app.log.warn(message),
          onError: (err) => app.log.warn({ err }, 'PostgreSQL connection lost'),
        });
        app.addReadinessCheck({ name: 'store', check: () => pgStore.unavailable() });
        store = pgStore;
      } else {
        // Writes on a worker thread, reads here: OTLP decoding and SQLite's inserts use two cores.
        store = await ThreadedSqliteStore.open({
          file: sqliteFile(config.dataDir),
          onMigrate: (message) => app.log.warn(message),
          cacheMb: config.storeCacheMb,
        });
      }
    } catch (err) {
      const where = config.store === 'postgres' ? 'at postgresUrl' : `in ${config.dataDir}`;
      throw new CollectorError('STORE_FAILED', `cannot open the store ${where}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    app.decorate('store', store);

    const retention = async (): Promise<void> => {
      try {
        const deleted = await store.enforceRetention({
          nowUs: Date.now() * 1000,
          maxAgeUs: config.retentionHours * 3600e6,
          maxBytes: config.retentionMaxMb * 1024 * 1024,
        });
        if (deleted > 0) app.log.info({ deleted }, 'store retention deleted rows');
      } catch (err) {
        app.log.error({ err }, 'store retention failed');
      }
    };
    const timer = setInterval(() => void retention(), opts.retentionIntervalMs ?? 60_000);
    timer.unref();
    await retention();

    new Gauge({
      name: 'eventscope_store_size_bytes',
      help: 'Bytes used by the store (pages in use; the file may be larger).',
      registers: [app.metrics],
      async collect() {
        this.set((await store.stats()).bytes);
      },
    });
    new Gauge({
      name: 'eventscope_store_rows',
      help: 'Rows in the store by table.',
      labelNames: ['table'],
      registers: [app.metrics],
      async collect() {
        const { rows } = await store.stats();
        for (const [table, n] of Object.entries(rows)) this.set({ table }, n);
      },
    });

    // Runs after the capabilities that write to the store closed (onClose hooks run in reverse).
    app.addHook('onClose', async () => {
      clearInterval(timer);
      await store.close();
    });
  },
  { name: 'store', dependencies: ['metrics', 'health'] },
);
