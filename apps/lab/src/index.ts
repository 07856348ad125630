/**
 * @hopwatch/lab: the reproducible network-node lab (/work/lab-contract.md) as a library, for
 * `hopwatch lab`, `hopwatch start --lab` and the e2e and integration tests.
 */
export { type LabCommand, LAB_OPTIONS, parseLabArgs } from './args.ts';
export { type Ctr, counterDelta, labCounters, softnetDropped } from './counters.ts';
export { type LabFaultOptions, type LabFaultResult, labFault } from './fault-apply.ts';
export {
  DEFAULT_FAULT_SETTINGS,
  DEFAULT_HOP,
  type FaultSettings,
  INBOUND_RECEIVERS,
  INBOUND_SENDERS,
  checkHop,
} from './faults.ts';
export { formatDown, formatFault, formatTraffic, formatUp } from './format.ts';
export {
  type LabDownResult,
  type LabUpOptions,
  type LabUpResult,
  labComplete,
  labDown,
  labUp,
} from './lifecycle.ts';
export type { ProbeResult } from './probe.ts';
export { LabError } from './run.ts';
export { type ActiveFault, FAULT_KINDS, type FaultKind, STATE_PATH } from './state.ts';
export { formatStatus, type LabStatus, labStatus } from './status.ts';
export {
  LAB_IFACE_IDS,
  LAB_NAMESPACES,
  LAB_PATH,
  LAB_PREFIX,
  LAB_VM_PATH,
  ROUTER_GW_ADDR,
  SEED_HOP,
  VM_ADDR,
} from './topology.ts';
export {
  type FloodResult,
  startTraffic,
  TRAFFIC_DEFAULTS,
  type TrafficHandle,
  type TrafficOptions,
  type TrafficResult,
} from './traffic.ts';
