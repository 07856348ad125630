/**
 * The protocol's constants, apart from its zod schemas (messages.ts, model.ts re-export them): the
 * agent's single-file bundle imports these and never zod, which was ~750 KB of its 1 MB and ~12 MB
 * of its RSS once loaded (the hub validates every agent frame anyway). No imports here.
 */
/** The protocol's version, in the agent's URL and hello and in the hub's welcome. */
export const PROTOCOL_VERSION = 1;

/** Frames larger than this are refused before parsing (a 3000-interface topology is ~1.5 MB). */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;

/** WebSocket close codes (4000-4999 are the application's). */
export const CLOSE = {
  badToken: 4001,
  badProtocol: 4002,
  duplicateHost: 4003,
  badFrame: 4004,
  tooLarge: 4005,
  /** A browser socket sent more messages than the hub takes from one (hub/ws/uiSession.ts). */
  tooManyMessages: 4008,
  shuttingDown: 4010,
} as const;

/**
 * Interface counters in /proc/net/dev's column order. On the wire a row is an array of
 * numbers in this order: a thousand interfaces a second make object keys the largest cost.
 */
export const IFACE_COUNTERS = [
  'rxBytes',
  'rxPackets',
  'rxErrors',
  'rxDropped',
  'rxFifo',
  'rxFrame',
  'rxCompressed',
  'rxMulticast',
  'txBytes',
  'txPackets',
  'txErrors',
  'txDropped',
  'txFifo',
  'txColls',
  'txCarrier',
  'txCompressed',
] as const;
export type IfaceCounterName = (typeof IFACE_COUNTERS)[number];
export const IFACE_COUNTER_INDEX = Object.fromEntries(IFACE_COUNTERS.map((n, i) => [n, i])) as Record<
  IfaceCounterName,
  number
>;

/** An agent's state in the host list (HostSummary.status). */
export const HOST_STATUSES = ['online', 'lagging', 'lost'] as const;

/** Hop status (design.md DOM contract `data-status`). Ordered from harmless to worst. */
export const HOP_STATUSES = ['idle', 'ok', 'warn', 'loss', 'down'] as const;

export const IFACE_KINDS = [
  'physical',
  'veth',
  'bridge',
  'vxlan',
  'macvlan',
  'tun',
  'tap',
  'loopback',
  'ovs',
  /** An Open vSwitch patch port: no kernel device, an id of its OVS name in OVS's namespace (design.md). */
  'ovs-patch',
  'dummy',
  'other',
] as const;
