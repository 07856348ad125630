import { isObject, type Json, str } from './json.ts';

export interface IpRoute {
  dst: string;
  dev: string;
  via: string | null;
  src: string | null;
}

/** `ip -j route show` (main table). Routes without an output device (blackhole, ...) are skipped. */
export function parseIpRoutes(doc: Json | null): IpRoute[] {
  if (!Array.isArray(doc)) return [];
  const routes: IpRoute[] = [];
  for (const r of doc) {
    if (!isObject(r)) continue;
    const dst = str(r, 'dst');
    const dev = str(r, 'dev');
    if (dst === null || dev === null) continue;
    routes.push({ dst, dev, via: str(r, 'gateway'), src: str(r, 'prefsrc') });
  }
  return routes;
}

/** `ip -j netns list-id`: nsid → iproute2 name, as seen from the namespace the command ran in. */
export function parseNsidList(doc: Json | null): Map<number, string | null> {
  const out = new Map<number, string | null>();
  if (!Array.isArray(doc)) return out;
  for (const e of doc) {
    if (!isObject(e) || typeof e.nsid !== 'number') continue;
    out.set(e.nsid, str(e, 'name'));
  }
  return out;
}

/** `ip -j netconf show` (inet): the namespace forwards IPv4 when interface "all" says so. */
export function parseForwarding(doc: Json | null): boolean {
  if (!Array.isArray(doc)) return false;
  for (const e of doc) {
    if (isObject(e) && str(e, 'interface') === 'all' && str(e, 'family') === 'inet')
      return e.forwarding === true;
  }
  return false;
}
