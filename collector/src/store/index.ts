/** The store capability's public surface; the plugin is in plugin.ts. */
export { SqliteStore } from './sqlite.ts';
export { ThreadedSqliteStore } from './sqlite-threaded.ts';
export { numberTypes, PostgresStore, type PostgresStoreOptions } from './postgres.ts';
export { ensurePartitions, HOP_TABLES, type HopTable } from './postgres-schema.ts';
export { countInserted, INGEST_LOCK } from './postgres-ingest.ts';
export type * from './types.ts';
export { OUTCOMES, SAGA_STATUSES } from './types.ts';
export { storePlugin, type StorePluginOptions } from './plugin.ts';
