/**
 * @hopwatch/hub: express + ws on one port. Agents on /ws/agent, browsers on /ws/ui, the API under
 * /api, /metrics, /healthz and the built web app at /. Every sample is recorded (store/store.ts).
 */
export { DEFAULT_LISTEN, DEFAULT_PORT, type Hub, type HubOptions, startHub } from './server.ts';
export {
  type ChunkSummary,
  DEFAULT_CHUNK_MS,
  DEFAULT_RETENTION_BYTES,
  DEFAULT_RETENTION_MS,
  openStore,
  type Recording,
  type Store,
  type StoreOptions,
  type TopologyVersion,
} from './store/store.ts';
export { consoleLogger, type Logger, silentLogger } from './log.ts';
