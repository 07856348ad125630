/**
 * Just enough IP arithmetic for longest-prefix matching: an address is a bigint with its family's
 * width, a prefix is (network, length). BigInt keeps IPv4 and IPv6 in one code path.
 */
export interface Prefix {
  family: 4 | 6;
  /** The address with host bits kept (a host route's own address, an interface's address). */
  addr: bigint;
  len: number;
}

const WIDTH = { 4: 32, 6: 128 } as const;

function parseV4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = (n << 8n) | BigInt(p);
  }
  return n;
}

function parseV6(text: string): bigint | null {
  const noZone = text.split('%')[0] ?? '';
  const halves = noZone.split('::');
  if (halves.length > 2) return null;
  const words = (s: string) => (s === '' ? [] : s.split(':'));
  let head = words(halves[0] ?? '');
  let tail = halves.length === 2 ? words(halves[1] ?? '') : [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two 16-bit words.
  const last = (halves.length === 2 ? tail : head).at(-1);
  if (last?.includes('.')) {
    const v4 = parseV4(last);
    if (v4 === null) return null;
    const extra = [(v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    if (halves.length === 2) tail = [...tail.slice(0, -1), ...extra];
    else head = [...head.slice(0, -1), ...extra];
  }
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let n = 0n;
  for (const w of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return null;
    n = (n << 16n) | BigInt(`0x${w}`);
  }
  return n;
}

/** `10.0.0.1/24`, `10.0.0.1` (host), `fe80::1/64`, `default` is not a prefix (see parseRouteDst). */
export function parsePrefix(text: string): Prefix | null {
  const [addrText = '', lenText] = text.trim().split('/');
  const family = addrText.includes(':') ? 6 : 4;
  const addr = family === 4 ? parseV4(addrText) : parseV6(addrText);
  if (addr === null) return null;
  const len = lenText === undefined ? WIDTH[family] : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > WIDTH[family]) return null;
  return { family, addr, len };
}

/** A route's `dst`: `default` is 0.0.0.0/0 of the family given (the kernel keeps one per family). */
export function parseRouteDst(dst: string, defaultFamily: 4 | 6 = 4): Prefix | null {
  if (dst === 'default') return { family: defaultFamily, addr: 0n, len: 0 };
  return parsePrefix(dst);
}

function mask(family: 4 | 6, len: number): bigint {
  const width = BigInt(WIDTH[family]);
  return len === 0 ? 0n : ((1n << BigInt(len)) - 1n) << (width - BigInt(len));
}

/** Whether `route` covers all of `dest` (a host address or a whole subnet). */
export function covers(route: Prefix, dest: Prefix): boolean {
  if (route.family !== dest.family || route.len > dest.len) return false;
  const m = mask(route.family, route.len);
  return (route.addr & m) === (dest.addr & m);
}

/** The subnet an interface address sits in: `10.10.0.5/24` → 10.10.0.0/24. */
export function networkOf(p: Prefix): Prefix {
  return { family: p.family, addr: p.addr & mask(p.family, p.len), len: p.len };
}

/**
 * Link-local and multicast addresses say nothing about where a packet is going: every interface
 * has an fe80::/64 route, so using them for routing would connect everything to everything.
 */
export function isRoutable(p: Prefix): boolean {
  if (p.family === 4) {
    const first = Number(p.addr >> 24n);
    const second = Number((p.addr >> 16n) & 0xffn);
    return !(first === 169 && second === 254) && !(first >= 224 && first < 240) && first !== 127;
  }
  const top = Number(p.addr >> 112n);
  return (top & 0xffc0) !== 0xfe80 && (top & 0xff00) !== 0xff00 && p.addr !== 1n;
}
