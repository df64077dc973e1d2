export { redrivePlugin, type RedrivePluginOptions } from './plugin.ts';
export { RedriveEngine, type RedriveEngineOptions } from './engine.ts';
