import type { Truncated } from '@hopwatch/shared';
import { type AppState, useApp } from '../store/index.ts';

const selectTruncated = (s: AppState) => s.topology?.truncated;

const PARTS: readonly [keyof Truncated, string, string][] = [
  ['namespaces', 'namespace', 'namespaces'],
  ['ifaces', 'interface', 'interfaces'],
  ['routes', 'route', 'routes'],
  ['addresses', 'address', 'addresses'],
];

/** "12 namespaces, 340 interfaces" from the counts that are not zero; '' when all are. */
export function truncatedText(t: Truncated): string {
  return PARTS.filter(([k]) => t[k] > 0)
    .map(([k, one, many]) => `${t[k]} ${t[k] === 1 ? one : many}`)
    .join(', ');
}

/**
 * The agent left part of the host out of its topology to stay within its budgets (an
 * unprivileged user can make namespaces and interfaces without limit): say so over the map,
 * with the counts, so a missing namespace reads as "not shown", not as "not there".
 */
export function TruncatedBanner() {
  const truncated = useApp(selectTruncated);
  if (truncated === undefined) return null;
  const left = truncatedText(truncated);
  if (left === '') return null;
  return (
    <div
      data-testid="truncated"
      data-namespaces={truncated.namespaces}
      data-ifaces={truncated.ifaces}
      data-routes={truncated.routes}
      data-addresses={truncated.addresses}
      role="status"
      className="absolute bottom-2 left-1/2 -translate-x-1/2 z-10 panel px-3 py-1.5 shadow st-warn max-w-[80%]"
      style={{ fontSize: 12 }}
    >
      <span className="font-semibold">Partial map: the agent left out {left}</span>{' '}
      <span className="muted">
        to stay within its budgets (unnamed namespaces first). Raise them on the agent with --max-netns,
        --max-ifaces, --max-ns-ifaces.
      </span>
    </div>
  );
}
