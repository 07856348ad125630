/**
 * Names as an operator reads them. Interface names are at most 15 characters (IFNAMSIZ) and
 * OpenStack's differ only at the end (`qr-5b8d2f1a-0c`, `tap4a7c1e2b-9f`): they are always shown
 * whole. Namespace names can be long (`qrouter-<uuid>`, 44 characters): shortened in the middle,
 * so both the kind (the start) and the tell-apart part (the end) stay, whole on hover and in the
 * detail panel.
 */

/** Characters a namespace label keeps on the map before it is shortened in the middle. */
export const NS_LABEL_MAX_CHARS = 22;

export function middleEllipsis(text: string, max = NS_LABEL_MAX_CHARS): string {
  if (text.length <= max) return text;
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return `${text.slice(0, head)}…${text.slice(text.length - (keep - head))}`;
}

/** The host namespace has the empty name: say so in words. */
export const nsName = (netns: string) => (netns === '' ? 'host namespace' : netns);

/** A namespace's label on the map: shortened in the middle when long. */
export const nsShort = (netns: string) => middleEllipsis(nsName(netns));

/**
 * Roles recognisable from the name, as OpenStack (Neutron) and libvirt name them; a lab prefix
 * (`hwlab-qrouter-a1`) does not hide them.
 */
const ROLES: readonly [RegExp, string][] = [
  [/(^|-)qrouter-/, 'router'],
  [/(^|-)qdhcp-/, 'DHCP'],
  [/(^|-)snat-/, 'SNAT'],
  [/(^|-)fip-/, 'floating IP'],
  [/(^|-)(qlbaas|amphora)-/, 'load balancer'],
  [/(^|-)qmeta(data)?-/, 'metadata'],
  [/(^|-)(vm|instance|guest)[-_]?[0-9a-f]*$/, 'VM'],
  [/(^|-)(vm|instance)-/, 'VM'],
];

/** What a namespace is: by name first, then a namespace that forwards is a router. */
export function nsRole(netns: string, forwarding: ReadonlySet<string> = new Set()): string | null {
  if (netns === '') return 'host';
  for (const [re, role] of ROLES) if (re.test(netns)) return role;
  return forwarding.has(netns) ? 'router' : null;
}
