/**
 * What naming drop locations costs on kernels that print them as addresses (SPEC KRN3): one
 * scan of this machine's /proc/kallsyms for a handful of addresses, against the bare read of the
 * file (the kernel generating its text). Root (or CAP_SYSLOG) for real addresses.
 *   npx tsx apps/agent/bench/kallsyms.ts
 */
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { KernelSymbols } from '../src/tracing/symbols.ts';

const RUNS = 5;
const FUNCTIONS =
  /^[0-9a-f]+ [tT] (enqueue_to_backlog|nf_hook_slow|__udp4_lib_rcv|tcp_v4_rcv|br_handle_frame)$/;

const text = readFileSync('/proc/kallsyms', 'latin1');
const addresses = text
  .split('\n')
  .filter((l) => FUNCTIONS.test(l))
  .map((l) => (BigInt(`0x${l.slice(0, l.indexOf(' '))}`) + 0x40n).toString(16));
if (addresses.length === 0 || /^0+$/.test(text.slice(0, text.indexOf(' ')))) {
  console.error('/proc/kallsyms shows no addresses here (kptr_restrict): run as root');
  process.exit(1);
}

function ms(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const read: number[] = [];
const scan: number[] = [];
let rssPeak = 0;
for (let i = 0; i < RUNS; i++) {
  read.push(
    ms(() => {
      const fd = openSync('/proc/kallsyms', 'r');
      const chunk = Buffer.allocUnsafe(64 * 1024);
      while (readSync(fd, chunk) > 0);
      closeSync(fd);
    }),
  );
  const rss0 = process.memoryUsage().rss;
  scan.push(ms(() => new KernelSymbols().resolve(addresses)));
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss - rss0);
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `/proc/kallsyms ${(text.length / 1e6).toFixed(1)} MB, ${text.split('\n').length - 1} symbols, ${addresses.length} addresses`,
);
console.log(
  `read alone: ${median(read).toFixed(1)} ms; read + lookup: ${median(scan).toFixed(1)} ms (median of ${RUNS})`,
);
console.log(`RSS growth during a lookup: ${(rssPeak / 1e6).toFixed(1)} MB`);
