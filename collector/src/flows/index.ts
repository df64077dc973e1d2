/** The flows capability's public surface; the plugin is in plugin.ts. */
export { assemble, compileRules, DEFAULT_RULES, spanHops, spanToHop, type FlowRules } from './hops.ts';
export { AuditMemory, auditOnce, decide, type AuditResult } from './audit.ts';
export { flowsPlugin, type FlowsPluginOptions, type FlowsService } from './plugin.ts';
