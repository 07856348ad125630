/**
 * @hopwatch/agent: discover → sample → diff → stream. The public API other apps code against
 * (the CLI's `agent`, `diagnose` and `start` commands) is exactly what this file exports.
 */
export type { AgentOptions } from './options.ts';
export { DEFAULT_MAX_IFACES, DEFAULT_MAX_NAMESPACES, DEFAULT_MAX_NS_IFACES } from './options.ts';
export type { Collector } from './collector.ts';
export { createCollector } from './collector.ts';
export { snapshotOnce, sampleWindow } from './window.ts';
export type { AgentHandle } from './stream/agent.ts';
export { startAgent } from './stream/agent.ts';
export { formatCheck, runChecks } from './check.ts';
export { DEFAULT_OVSDB, parseOvsdbTarget } from './ovs/client.ts';
