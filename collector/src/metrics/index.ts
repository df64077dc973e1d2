/** The metrics capability's public surface: the app's own registry, served at /metrics (plugin.ts). */
export { metricsPlugin } from './plugin.ts';
