import type { NsEntry } from './namespaces.ts';
import type { Runner } from './probe.ts';

/**
 * `ip monitor all-nsid` only hears namespaces that have an nsid in the host. iproute2 assigns
 * one when a veth crosses into the host; a namespace wired only to other namespaces has none.
 * `ip netns set NAME auto` gives it one: an identifier, it changes nothing else. Each name is
 * tried once (`tried` remembers). Returns the host's new nsid table, or null when nothing changed.
 */
export async function assignNsids(
  run: Runner,
  namespaces: Iterable<NsEntry>,
  hostNsids: ReadonlyMap<number, string | null>,
  tried: Set<string>,
): Promise<Map<number, string | null> | null> {
  const named = new Set([...hostNsids.values()].filter((n): n is string => n !== null));
  let assigned = false;
  for (const ns of namespaces) {
    if (ns.kind !== 'named' || named.has(ns.name) || tried.has(ns.name)) continue;
    tried.add(ns.name);
    const r = await run('ip', ['netns', 'set', ns.name, 'auto'], null);
    assigned ||= r.code === 0;
  }
  if (!assigned) return null;
  const r = await run('ip', ['-j', 'netns', 'list-id'], null);
  try {
    const list = JSON.parse(r.stdout) as { nsid?: unknown; name?: unknown }[];
    return new Map(
      list.flatMap((e) =>
        typeof e.nsid === 'number' ? [[e.nsid, typeof e.name === 'string' ? e.name : null]] : [],
      ),
    );
  } catch {
    return null; // events of the new namespaces then trigger a relist instead
  }
}
