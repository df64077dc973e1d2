/** The store capability's public surface; the plugin is in plugin.ts. */
export { SqliteStore } from './sqlite.ts';
export { ThreadedSqliteStore } from './sqlite-threaded.ts';
export type * from './types.ts';
export { OUTCOMES, SAGA_STATUSES } from './types.ts';
export { storePlugin, type StorePluginOptions } from './plugin.ts';
