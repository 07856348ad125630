/**
 * /proc/net/softnet_stat: one line per online CPU, space-separated %08x u32 values that wrap.
 * Widths seen in the wild: 9 (old), 10 (+received_rps), 11 (+flow_limit_count: RHEL 8's 4.18,
 * Ubuntu 20.04's 5.4), 13 (5.10: +backlog_len, +CPU id: RHEL 9, Ubuntu 22.04), 15 (≈6.4:
 * +input_qlen, +process_qlen). The file is global: the same in every namespace. Offline CPUs have
 * no line, so the CPU id comes from column 13 when present, else from `cpuIds` (the online CPUs
 * in order, parseOnlineCpus) and only then from the line index (reference/drop-causes.md §2.1).
 */
export interface SoftnetRow {
  cpu: number;
  processed: number;
  dropped: number;
  timeSqueeze: number;
  receivedRps: number;
  flowLimit: number;
  /** Gauge from column 12 (5.10+), null when the kernel prints fewer columns. */
  backlogLen: number | null;
}

const COL_PROCESSED = 0;
const COL_DROPPED = 1;
const COL_TIME_SQUEEZE = 2;
const COL_RECEIVED_RPS = 9;
const COL_FLOW_LIMIT = 10;
const COL_BACKLOG_LEN = 11;
const COL_CPU_ID = 12;
const MIN_COLUMNS = 9;

export function parseSoftnet(text: string, cpuIds?: readonly number[]): SoftnetRow[] {
  const rows: SoftnetRow[] = [];
  let index = 0;
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < MIN_COLUMNS) continue;
    const hex = (i: number): number | null => {
      const v = cols[i];
      if (v === undefined) return null;
      const n = Number.parseInt(v, 16);
      return Number.isNaN(n) ? null : n;
    };
    rows.push({
      cpu: hex(COL_CPU_ID) ?? cpuIds?.[index] ?? index,
      processed: hex(COL_PROCESSED) ?? 0,
      dropped: hex(COL_DROPPED) ?? 0,
      timeSqueeze: hex(COL_TIME_SQUEEZE) ?? 0,
      receivedRps: hex(COL_RECEIVED_RPS) ?? 0,
      flowLimit: hex(COL_FLOW_LIMIT) ?? 0,
      backlogLen: hex(COL_BACKLOG_LEN),
    });
    index++;
  }
  return rows;
}

/** True when the lines carry no CPU id (fewer than 13 columns): the caller then needs cpuIds. */
export function softnetLacksCpuIds(text: string): boolean {
  const end = text.indexOf('\n');
  const first = (end < 0 ? text : text.slice(0, end)).trim();
  return first !== '' && first.split(/\s+/).length <= COL_CPU_ID;
}

/**
 * The online CPUs in order, from /proc/stat's `cpuN` lines (the kernel lists online CPUs only,
 * as softnet_stat does). procfs, not /sys/devices/system/cpu/online: the sampler reads /proc.
 */
export function parseOnlineCpus(procStat: string): number[] {
  const cpus: number[] = [];
  for (const m of procStat.matchAll(/^cpu(\d+) /gm)) cpus.push(Number(m[1]));
  return cpus;
}
