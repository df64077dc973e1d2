/** The tap capability's public surface; the plugin is in plugin.ts. */
export { TAP_GROUP, tapRecord, tapPlugin, type TapService, type TapPluginOptions } from './plugin.ts';
