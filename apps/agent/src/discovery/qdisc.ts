import { type ChildProcess, spawn } from 'node:child_process';
import { splitJsonTexts } from '../parse/json.ts';
import type { Topology } from '@hopwatch/shared';
import { ifaceId } from '@hopwatch/shared/ids';
import { parseQdiscText, type QdiscStats } from '../parse/qdisc.ts';
import type { LogFn } from '../util/log.ts';
import type { NsEntry } from './namespaces.ts';
import { nsLabel } from './probe.ts';

/** A `tc` that has not answered by then is stuck (namespace going away): kill it, retry next sample. */
const TC_ANSWER_TIMEOUT_MS = 1000;

/**
 * qdisc statistics exist only over netlink; procfs has none. Instead of spawning `tc -s -j qdisc`
 * every sample (a process start costs ~3 ms of CPU here), one `tc -s -j -b -` per namespace that
 * has a queueing qdisc stays running and answers `qdisc show dev DEV` lines written to its stdin,
 * one JSON document per line, flushed at once (measured: 0.2 ms round trip). Asking per device
 * keeps the answer small: a plain `qdisc show` lists every veth's noqueue too (~20 KB a sample
 * on a host with 100 of them). tc exits on EOF, i.e. when we exit.
 */
export class QdiscReader {
  private child: ChildProcess | null = null;
  private buffered = '';
  private expected = 0;
  private waiting: ((text: string | null) => void) | null = null;

  constructor(private readonly ns: NsEntry) {}

  private spawnTc(): ChildProcess {
    const tc = ['-s', '-j', '-b', '-'];
    const { cmd, args } =
      this.ns.kind === 'host'
        ? { cmd: 'tc', args: tc }
        : this.ns.kind === 'named'
          ? { cmd: 'tc', args: ['-n', this.ns.name, ...tc] }
          : { cmd: 'nsenter', args: [`--net=/proc/${this.ns.pid}/ns/net`, 'tc', ...tc] };
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.buffered += chunk;
      if (this.buffered.endsWith(']\n') && this.waiting && countDocs(this.buffered) >= this.expected) {
        const text = this.buffered;
        this.buffered = '';
        this.waiting(text);
      }
    });
    child.stdin?.on('error', () => {});
    child.on('error', () => {});
    child.on('exit', () => {
      if (this.child === child) this.child = null;
      this.waiting?.(null);
    });
    return child;
  }

  /** Root qdisc statistics of these devices by name, or null when tc did not answer. */
  read(devices: string[]): Promise<Map<string, QdiscStats> | null> {
    if (devices.length === 0) return Promise.resolve(new Map());
    this.child ??= this.spawnTc();
    const child = this.child;
    // A name the batch parser would mangle is not written into the batch: one `qdisc show` of
    // the whole namespace is asked instead and the devices picked from its answer by name.
    const perDevice = devices.every(isBatchWord);
    this.buffered = '';
    this.expected = perDevice ? devices.length : 1;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        this.close();
        resolve(null);
      }, TC_ANSWER_TIMEOUT_MS);
      this.waiting = (text) => {
        clearTimeout(timer);
        this.waiting = null;
        if (text === null) return resolve(null);
        const out = new Map<string, QdiscStats>();
        const docs = splitJsonTexts(text);
        if (!perDevice) {
          const all = parseQdiscText(docs[0] ?? '');
          for (const dev of devices) {
            const root = all.get(dev);
            if (root) out.set(dev, root);
          }
          return resolve(out);
        }
        // `qdisc show dev DEV` leaves the device out of its answer: answers come in asking order.
        docs.forEach((doc, k) => {
          const dev = devices[k];
          const root = dev === undefined ? undefined : parseQdiscText(doc, dev).get(dev);
          if (root) out.set(dev!, root);
        });
        resolve(out);
      };
      // The blank line after the commands: tc 4.16–5.2 (RHEL 8.0–8.2's 4.18, Debian 10's 4.20)
      // reads the next batch line before it runs the current one (its "batchsize" feature), so
      // without a line after it the last command waits for the next sample and every read
      // timed out. Blank lines are skipped by every tc version.
      child.stdin?.write(
        `${perDevice ? devices.map((d) => `qdisc show dev ${d}\n`).join('') : 'qdisc show\n'}\n`,
      );
    });
  }

  close(): void {
    const child = this.child;
    this.child = null;
    child?.stdin?.destroy();
    child?.kill('SIGKILL');
  }
}

/**
 * A word iproute2's batch parser (`-b`, lib/utils.c makeargs) passes through unchanged: it cuts
 * the line at `#` (a comment, whatever quotes surround it), reads a word that starts with a
 * quote up to the next same quote (and exits on "Unterminated quoted string", killing the whole
 * batch), and splits on whitespace. Tried on tc 6.1 with real names: `"q` and `'c` end the
 * process, `a#b` asks for device `a`; `a"b`, `a'b`, `a\b`, `-x` are fine. Interface names hold
 * no whitespace (the kernel refuses it), but a namespace's tenant picks the rest.
 */
export function isBatchWord(word: string): boolean {
  return (
    word !== '' && !word.includes('#') && !word.startsWith('"') && !word.startsWith("'") && !/\s/.test(word)
  );
}

/** Complete answers so far: each is one line ending in `]`. */
function countDocs(text: string): number {
  let n = 0;
  for (let i = text.indexOf(']\n'); i >= 0; i = text.indexOf(']\n', i + 2)) n++;
  return n;
}

/** Qdisc kinds that do not queue: noqueue (virtual devices) and noop (a device that is down). */
const NON_QUEUEING = new Set(['noqueue', 'noop']);

/** One QdiscReader per namespace that has a queueing qdisc, following the topology. */
export class QdiscReaders {
  private readonly readers = new Map<string, { reader: QdiscReader; devices: string[] }>();

  constructor(private readonly log: LogFn) {}

  /** Start readers for namespaces that gained a queueing qdisc, stop those that lost theirs. */
  sync(topology: Topology, namespaces: ReadonlyMap<string, NsEntry>): void {
    const want = new Map<string, string[]>();
    for (const i of topology.ifaces) {
      if (i.qdisc === null || NON_QUEUEING.has(i.qdisc)) continue;
      want.set(i.netns, [...(want.get(i.netns) ?? []), i.name]);
    }
    for (const ns of this.readers.keys()) if (!want.has(ns)) this.close(ns);
    for (const [ns, devices] of want) {
      const entry = namespaces.get(ns);
      const existing = this.readers.get(ns);
      if (existing) existing.devices = devices;
      else if (entry) this.readers.set(ns, { reader: new QdiscReader(entry), devices });
    }
  }

  /** Root qdisc statistics by interface id, from every namespace's tc in parallel. */
  async read(): Promise<Map<string, QdiscStats>> {
    const out = new Map<string, QdiscStats>();
    await Promise.all(
      [...this.readers].map(async ([ns, { reader, devices }]) => {
        const stats = await reader.read(devices);
        if (stats === null) {
          this.log('warn', `tc did not report qdiscs of ${nsLabel({ name: ns })}; retrying next sample`);
          return;
        }
        for (const [dev, q] of stats) out.set(ifaceId(ns, dev), q);
      }),
    );
    return out;
  }

  close(ns: string): void {
    this.readers.get(ns)?.reader.close();
    this.readers.delete(ns);
  }

  closeAll(): void {
    for (const ns of [...this.readers.keys()]) this.close(ns);
  }
}
