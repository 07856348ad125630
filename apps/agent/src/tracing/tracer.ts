import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import type { DropReasonCount, TracingState } from '@hopwatch/shared';
import {
  describeKfreeSkb,
  dropFilter,
  NO_REASON_DETAIL,
  parseCpuStats,
  parseTraceLine,
  renameLocations,
} from '../parse/tracefs.ts';
import type { LogFn } from '../util/log.ts';
import { parseEffectiveCaps } from '../check.ts';
import { OpenFiles, readTextOrNull, WHOLE_ON_SHORT_READ } from '../util/procfs.ts';
import { execText } from '../util/exec.ts';
import {
  findTracefs,
  deviceOf,
  INSTANCE_PREFIX,
  instanceCpus,
  KFREE_SKB,
  readFormat,
  removeInstance,
  removeStaleInstances,
} from './tracefs.ts';
import { registerCleanup } from '../util/cleanup.ts';
import { tiedToUs } from '../util/tied.ts';
import { KernelSymbols } from './symbols.ts';

/**
 * Per-CPU ring size. Small: the reader drains it continuously, the default 1410 KB per CPU is
 * memory wasted on hosts with many CPUs, and an overrun is reported as `lost`, not hidden.
 */
const BUFFER_SIZE_KB = 256;
/**
 * Events read per second at most. Every drop streamed through trace_pipe costs the kernel a
 * text formatting and us a parse: a 155 kpps NO_SOCKET flood took 44 % of a core here. Beyond
 * this rate the reader is paused until the next sample: the kernel ring overruns, which the
 * sample reports as `tracing.lost` (the reason counts are then a floor, as they already are
 * whenever the ring overruns). Events buffered while paused are counted in the next sample.
 */
export const MAX_DROP_EVENTS_PER_S = 10_000;
let instanceSerial = 0;

export interface DrainResult {
  drops: DropReasonCount[];
  tracing: TracingState;
}

/**
 * Kernel drop reasons from a private tracefs instance: skb:kfree_skb, reason names from the
 * running kernel's format file, `trace_pipe` read by a child `cat` (a blocking read in Node would
 * pin a libuv thread-pool thread for good), counts aggregated per (reason, function, CPU) between
 * drains. Without tracefs or root the tracer is 'unavailable' and says why; everything else runs
 * on counters alone.
 */
export class DropTracer {
  private counts = new Map<string, DropReasonCount>();
  private reader: ChildProcess | null = null;
  /** st_dev of the instance's tracefs, once known. */
  private dev: number | undefined;
  private freeBufferFd: number | null = null;
  private lastStats = new Map<number, number>();
  /**
   * per_cpu/cpuN/stats through descriptors kept open (read at offset 0 regenerates them): two
   * opens a second fewer. Each holds a reference on the instance (its rmdir is EBUSY while one
   * is open), so close() closes them before removing the instance.
   */
  private readonly statsFiles = new OpenFiles();
  private partial = '';
  /** Events parsed since the last drain, and the most a drain period may parse. */
  private seen = 0;
  private budget = MAX_DROP_EVENTS_PER_S;
  private paused = false;
  private state: TracingState['state'];
  private detail: string | null;
  private unregister: (() => void) | null = null;
  private warnedUnresolvable = false;

  private constructor(
    private readonly dir: string | null,
    private readonly reasons: Map<number, string>,
    private readonly log: LogFn,
    state: TracingState['state'],
    detail: string | null,
    /** Set when the kernel prints locations as addresses: names them (tracing/symbols.ts). */
    private readonly symbols: KernelSymbols | null = null,
  ) {
    this.state = state;
    this.detail = detail;
  }

  static off(detail: string): DropTracer {
    return new DropTracer(null, new Map(), () => {}, 'off', detail);
  }

  static unavailable(detail: string, log: LogFn): DropTracer {
    log('warn', `kernel drop reasons unavailable (${detail}); running on counters alone`);
    return new DropTracer(null, new Map(), log, 'unavailable', detail);
  }

  static async start(sysRoot: string, log: LogFn): Promise<DropTracer> {
    const caps = parseEffectiveCaps(readTextOrNull('/proc/self/status') ?? '');
    if (!caps.has('CAP_DAC_OVERRIDE') || !caps.has('CAP_DAC_READ_SEARCH'))
      return DropTracer.unavailable('needs root, or CAP_DAC_OVERRIDE + CAP_DAC_READ_SEARCH', log);
    let tracefs = findTracefs(sysRoot);
    if (tracefs === null && sysRoot === '/sys') {
      // Like perf and trace-cmd: mount tracefs where the kernel documents it when nobody has.
      const r = await execText('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing']);
      tracefs = findTracefs(sysRoot);
      if (tracefs) log('info', 'mounted tracefs at /sys/kernel/tracing');
      else if (r.code !== 0) log('warn', `mounting tracefs failed: ${r.stderr.trim()}`);
    }
    if (tracefs === null) return DropTracer.unavailable(`no tracefs under ${sysRoot}/kernel`, log);
    const format = readFormat(tracefs);
    if (format === null) return DropTracer.unavailable('this kernel has no skb:kfree_skb event', log);
    const shape = describeKfreeSkb(format);
    // Before 5.17 every kfree_skb() looks alike, drop or normal free: counting them would report
    // non-drops as drops, so the kernel's drop reasons are said to be unavailable instead.
    if (!shape.hasReason) return DropTracer.unavailable(NO_REASON_DETAIL, log);
    const reasons = shape.reasons;
    for (const stale of removeStaleInstances(tracefs)) log('info', `removed stale tracefs instance ${stale}`);
    const name = `${INSTANCE_PREFIX}${process.pid}${instanceSerial++ === 0 ? '' : `-${instanceSerial}`}`;
    const dir = `${tracefs}/instances/${name}`;
    try {
      mkdirSync(dir);
    } catch (e) {
      return DropTracer.unavailable(`cannot create tracefs instance ${dir}: ${(e as Error).message}`, log);
    }
    const symbols = shape.locationIsSymbol ? null : new KernelSymbols();
    const tracer = new DropTracer(dir, reasons, log, 'on', null, symbols);
    try {
      tracer.arm(dropFilter(reasons));
    } catch (e) {
      tracer.close();
      return DropTracer.unavailable(`cannot arm skb:kfree_skb in ${dir}: ${(e as Error).message}`, log);
    }
    return tracer;
  }

  private arm(filter: string): void {
    const dir = this.dir!;
    this.unregister = registerCleanup(() => this.close());
    writeFileSync(`${dir}/buffer_size_kb`, String(BUFFER_SIZE_KB));
    // Crash guard (§5.4.3): if we die, closing free_buffer stops the ring and frees it.
    try {
      writeFileSync(`${dir}/options/disable_on_free`, '1');
      this.freeBufferFd = openSync(`${dir}/free_buffer`, 'w');
    } catch {
      this.freeBufferFd = null;
    }
    if (filter !== '') writeFileSync(`${dir}/${KFREE_SKB}/filter`, filter);
    // `location=%p` kernels: the real address, not its hash, or kallsyms cannot name it. The
    // option exists from 5.12 (real addresses by default there); the instance's own, so nobody
    // else's trace output changes.
    if (this.symbols) {
      try {
        writeFileSync(`${dir}/options/hash-ptr`, '0');
      } catch {}
    }
    for (const cpu of instanceCpus(dir)) this.lastStats.set(cpu, this.lostOn(cpu));
    writeFileSync(`${dir}/${KFREE_SKB}/enable`, '1');
    writeFileSync(`${dir}/tracing_on`, '1');
    const cat = tiedToUs('cat', [`${dir}/trace_pipe`]);
    const reader = spawn(cat.cmd, cat.args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.reader = reader;
    reader.stdout.setEncoding('latin1');
    reader.stdout.on('data', (chunk: string) => this.consume(chunk));
    reader.on('exit', () => {
      if (this.reader !== reader) return;
      this.reader = null;
      if (this.state === 'on') {
        this.state = 'off';
        this.detail = 'the trace_pipe reader exited (was the tracefs instance removed?)';
        this.log('warn', `kernel drop reasons stopped: ${this.detail}`);
      }
    });
  }

  private consume(chunk: string): void {
    const text = this.partial + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const parsed = parseTraceLine(text.slice(start, nl), this.reasons);
      start = nl + 1;
      // LOST markers repeat what per_cpu stats count as overrun: counted there, once.
      if (parsed?.type !== 'drop') continue;
      this.seen++;
      const key = `${parsed.reason}\u0000${parsed.location}\u0000${parsed.cpu}`;
      const c = this.counts.get(key);
      if (c) c.count++;
      else
        this.counts.set(key, { reason: parsed.reason, location: parsed.location, cpu: parsed.cpu, count: 1 });
    }
    this.partial = text.slice(start);
    if (this.partial.length > 64 * 1024) this.partial = ''; // no line is this long: resynchronise
    if (this.seen >= this.budget && !this.paused && this.reader) {
      this.paused = true;
      this.reader.stdout?.pause();
    }
  }

  private lostOn(cpu: number): number {
    this.dev ??= this.dir === null ? undefined : deviceOf(this.dir);
    // simple_read_from_buffer: whole in one read (SPEC READ1).
    const path = `${this.dir}/per_cpu/cpu${cpu}/stats`;
    const text = this.statsFiles.readOrNull(path, undefined, this.dev, WHOLE_ON_SHORT_READ);
    if (text === null) return 0;
    const s = parseCpuStats(text);
    return s.overrun + s.dropped;
  }

  /**
   * Counts since the previous drain, and events the kernel lost meanwhile (counts are then a
   * floor). `intervalMs` sizes the next period's read budget.
   */
  drain(intervalMs = 1000): DrainResult {
    this.seen = 0;
    this.budget = Math.max(1, Math.round((MAX_DROP_EVENTS_PER_S * intervalMs) / 1000));
    if (this.paused) {
      this.paused = false;
      this.reader?.stdout?.resume();
    }
    let lost = 0;
    if (this.dir !== null && this.state === 'on') {
      for (const [cpu, before] of this.lastStats) {
        const now = this.lostOn(cpu);
        lost += Math.max(0, now - before);
        this.lastStats.set(cpu, now);
      }
    }
    const drops = this.symbols ? this.named([...this.counts.values()]) : [...this.counts.values()];
    this.counts = new Map();
    return { drops, tracing: { state: this.state, detail: this.detail, lost } };
  }

  /** Locations printed as addresses → their functions; counts of one function merged. */
  private named(drops: DropReasonCount[]): DropReasonCount[] {
    const names = this.symbols!.resolve(new Set(drops.map((d) => d.location)));
    if (this.symbols!.unresolvable && !this.warnedUnresolvable) {
      this.warnedUnresolvable = true;
      this.log(
        'warn',
        'kernel drop locations stay addresses: /proc/kallsyms does not name them (kptr_restrict without CAP_SYSLOG?)',
      );
    }
    return renameLocations(drops, names);
  }

  get status(): TracingState['state'] {
    return this.state;
  }

  /** Synchronous and idempotent: also runs from exit and signal handlers. */
  close(): void {
    this.unregister?.();
    this.unregister = null;
    const reader = this.reader;
    this.reader = null;
    reader?.kill('SIGKILL');
    this.statsFiles.closeAll();
    if (this.freeBufferFd !== null) {
      try {
        closeSync(this.freeBufferFd);
      } catch {}
      this.freeBufferFd = null;
    }
    if (this.dir !== null && this.state !== 'unavailable') {
      const err = removeInstance(this.dir);
      if (err) this.log('warn', err);
    }
    if (this.state === 'on') {
      this.state = 'off';
      this.detail = 'collector closed';
    }
  }
}
