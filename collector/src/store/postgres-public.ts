/**
 * The PostgreSQL store's public surface (`@eventscope/collector/postgres`): the store, and its
 * partition bookkeeping so figure 3 on PostgreSQL fills a store through it. Apart from the package
 * root, so that what imports the root without a PostgreSQL store does not load the driver.
 */
export { numberTypes, PostgresStore, type PostgresStoreOptions } from './postgres.ts';
export { ensurePartitions, HOP_TABLES, type HopTable } from './postgres-schema.ts';
export { countInserted, INGEST_LOCK } from './postgres-ingest.ts';
