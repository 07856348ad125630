import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

/** Bench namespaces and host veths: our prefix, so cleanup never touches anyone else's. */
export const BENCH_NS = 'hwt-ag-bench-';
export const BENCH_HOST_IF = 'hwtagb';

function ipBatch(ns: string | null, lines: string[]): void {
  const args = ns === null ? ['-b', '-'] : ['-n', ns, '-b', '-'];
  execFileSync('ip', args, { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
}

export function nsName(i: number): string {
  return `${BENCH_NS}${String(i).padStart(3, '0')}`;
}

/**
 * `namespaces` namespaces, each with lo, `pairsPerNs` veth pairs inside and one veth pair to the
 * host: (1 + 2 * pairsPerNs + 1) interfaces per namespace plus one per namespace in the host.
 */
export function buildLab(namespaces: number, pairsPerNs: number): void {
  const names = Array.from({ length: namespaces }, (_, i) => nsName(i));
  ipBatch(
    null,
    names.map((n) => `netns add ${n}`),
  );
  ipBatch(
    null,
    names.map((n, i) => `link add ${BENCH_HOST_IF}${i} type veth peer name up0 netns ${n}`),
  );
  for (const n of names) {
    const lines = ['link set lo up', 'link set up0 up'];
    for (let p = 0; p < pairsPerNs; p++) {
      lines.push(`link add a${p} type veth peer name b${p}`, `link set a${p} up`, `link set b${p} up`);
    }
    ipBatch(n, lines);
  }
  ipBatch(
    null,
    names.map((_, i) => `link set ${BENCH_HOST_IF}${i} up`),
  );
}

export function destroyLab(): void {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns').filter((n) => n.startsWith(BENCH_NS));
  } catch {}
  if (names.length > 0) {
    try {
      execFileSync('ip', ['-force', '-b', '-'], {
        input: `${names.map((n) => `netns del ${n}`).join('\n')}\n`,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
    } catch {}
  }
  // Host ends go with their peers' namespaces; any left (a half-built lab) go here.
  const left = readdirSync('/sys/class/net').filter((d) => d.startsWith(BENCH_HOST_IF));
  if (left.length > 0) {
    try {
      execFileSync('ip', ['-force', '-b', '-'], {
        input: `${left.map((d) => `link del ${d}`).join('\n')}\n`,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
    } catch {}
  }
}
