/**
 * OVSDB's monitor data (RFC 7047 §4.1.5-6) kept as tables of rows, updated incrementally, and
 * read as the bridge → port → interface tree the topology needs. Pure: the client feeds it the
 * `result` of `monitor` and the `params[1]` of each `update`; every value is checked for its
 * shape (a wrong one reads as absent, never throws), so whatever a database holds is just data.
 */

/** The columns asked for: what the topology, the rules and the counters use, nothing else. */
export const MONITORED = {
  Open_vSwitch: ['ovs_version', 'bridges'],
  Bridge: ['name', 'datapath_type', 'ports'],
  Port: ['name', 'interfaces', 'tag', 'trunks'],
  Interface: [
    'name',
    'type',
    'options',
    'ofport',
    'admin_state',
    'link_state',
    'statistics',
    'ifindex',
    'error',
  ],
} as const;
export type TableName = keyof typeof MONITORED;

type Row = Record<string, unknown>;
export type Tables = Record<TableName, Map<string, Row>>;

export const emptyTables = (): Tables => ({
  Open_vSwitch: new Map(),
  Bridge: new Map(),
  Port: new Map(),
  Interface: new Map(),
});

const isObj = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Applies `<table-updates>`: a row with `new` is inserted or replaced (a monitor's `new` carries
 * every monitored column), a row with only `old` is deleted. Returns whether anything changed.
 */
export function applyUpdates(tables: Tables, updates: unknown): boolean {
  if (!isObj(updates)) return false;
  let changed = false;
  for (const name of Object.keys(MONITORED) as TableName[]) {
    const t = updates[name];
    if (!isObj(t)) continue;
    for (const [uuid, u] of Object.entries(t)) {
      if (!isObj(u)) continue;
      if (isObj(u.new)) tables[name].set(uuid, u.new);
      else tables[name].delete(uuid);
      changed = true;
    }
  }
  return changed;
}

// ---- atoms (RFC 7047 §5.1) --------------------------------------------------------------------

/** A set's members: `["set", [...]]`, or the bare atom for a set of one. */
function setOf(v: unknown): unknown[] {
  if (Array.isArray(v) && v[0] === 'set' && Array.isArray(v[1])) return v[1];
  return v === undefined ? [] : [v];
}

function uuidOf(v: unknown): string | null {
  return Array.isArray(v) && v[0] === 'uuid' && typeof v[1] === 'string' ? v[1] : null;
}

const uuids = (v: unknown) => setOf(v).flatMap((x) => uuidOf(x) ?? []);
const ints = (v: unknown) => setOf(v).filter((x): x is number => Number.isSafeInteger(x));
const str = (v: unknown): string | null => {
  const [x] = setOf(v);
  return typeof x === 'string' ? x : null;
};
const int = (v: unknown): number | null => ints(v)[0] ?? null;

function mapOf(v: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(v) || v[0] !== 'map' || !Array.isArray(v[1])) return out;
  for (const kv of v[1]) if (Array.isArray(kv) && typeof kv[0] === 'string') out.set(kv[0], kv[1]);
  return out;
}

// ---- the tree -------------------------------------------------------------------------------

export interface OvsIface {
  name: string;
  /** '' for a system (kernel) port. */
  type: string;
  options: Map<string, string>;
  /** null: none yet, or -1 (OVS could not add it). */
  ofport: number | null;
  adminState: string | null;
  linkState: string | null;
  /** OVS's counters of the port: rx_packets, tx_dropped, ovs_tx_failure_drops... */
  statistics: Map<string, number>;
  /** The kernel ifindex in ovs-vswitchd's namespace; 0 or null for none. */
  ifindex: number | null;
  error: string | null;
}

export interface OvsPortRow {
  name: string;
  tag: number | null;
  trunks: number[];
  ifaces: OvsIface[];
}

export interface OvsBridgeRow {
  name: string;
  /** '' means the default, system. */
  datapathType: string;
  ports: OvsPortRow[];
}

export interface OvsView {
  version: string | null;
  bridges: OvsBridgeRow[];
}

function ifaceOf(r: Row): OvsIface | null {
  const name = str(r.name);
  if (name === null) return null;
  const options = new Map<string, string>();
  for (const [k, v] of mapOf(r.options)) if (typeof v === 'string') options.set(k, v);
  const statistics = new Map<string, number>();
  for (const [k, v] of mapOf(r.statistics))
    if (Number.isSafeInteger(v) && (v as number) >= 0) statistics.set(k, v as number);
  const ofport = int(r.ofport);
  return {
    name,
    type: str(r.type) ?? '',
    options,
    ofport: ofport === null || ofport < 0 ? null : ofport,
    adminState: str(r.admin_state),
    linkState: str(r.link_state),
    statistics,
    ifindex: int(r.ifindex),
    error: str(r.error),
  };
}

/** The bridges, their ports and interfaces, by name order (a stable topology). */
export function viewOf(tables: Tables): OvsView {
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const bridges: OvsBridgeRow[] = [];
  for (const b of tables.Bridge.values()) {
    const name = str(b.name);
    if (name === null) continue;
    const ports: OvsPortRow[] = [];
    for (const pu of uuids(b.ports)) {
      const p = tables.Port.get(pu);
      const pname = p ? str(p.name) : null;
      if (!p || pname === null) continue;
      const ifaces = uuids(p.interfaces).flatMap((iu) => {
        const r = tables.Interface.get(iu);
        const i = r ? ifaceOf(r) : null;
        return i ? [i] : [];
      });
      ports.push({ name: pname, tag: int(p.tag), trunks: ints(p.trunks), ifaces: ifaces.sort(byName) });
    }
    bridges.push({ name, datapathType: str(b.datapath_type) ?? '', ports: ports.sort(byName) });
  }
  const [root] = tables.Open_vSwitch.values();
  return { version: root ? str(root.ovs_version) : null, bridges: bridges.sort(byName) };
}
