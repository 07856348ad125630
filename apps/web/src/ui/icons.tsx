import type { HopStatus, IfaceKind } from '@hopwatch/shared';
import type { ReactNode } from 'react';

/**
 * Small stroke icons (16×16, currentColor). Status shape differs per status so the map reads in
 * greyscale and for colour-blind operators: check, hollow ring, triangle, octagon-X, power.
 */
function Svg({ children, size = 14 }: { children: ReactNode; size?: number }) {
  // Decorative: the status or kind is always written next to the icon, in words.
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 16 16"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.6}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden
      className="shrink-0"
    >
      {children}
    </svg>
  );
}

const STATUS_PATHS: Record<HopStatus, ReactNode> = {
  ok: (
    <>
      <circle cx="8" cy="8" r="6.2" />
      <path d="M5 8.3l2 2 4-4.3" />
    </>
  ),
  idle: <circle cx="8" cy="8" r="5.5" strokeDasharray="2.2 2" />,
  warn: (
    <>
      <path d="M8 1.8l6.6 11.8H1.4z" />
      <path d="M8 6.2v3.4M8 11.6v.2" />
    </>
  ),
  loss: (
    <>
      <path d="M5.3 1.5h5.4l3.8 3.8v5.4l-3.8 3.8H5.3l-3.8-3.8V5.3z" fill="currentColor" fillOpacity="0.18" />
      <path d="M5.6 5.6l4.8 4.8M10.4 5.6l-4.8 4.8" strokeWidth={2} />
    </>
  ),
  down: (
    <>
      <path d="M8 1.6v6" strokeWidth={2} />
      <path d="M4.6 4a5.6 5.6 0 1 0 6.8 0" />
    </>
  ),
};

export function StatusIcon({ status, size }: { status: HopStatus; size?: number }) {
  return <Svg size={size ?? 14}>{STATUS_PATHS[status]}</Svg>;
}

export type KindIconName = IfaceKind | 'router-port' | 'namespace';

const KIND_PATHS: Record<KindIconName, ReactNode> = {
  physical: (
    <>
      <rect x="2" y="4" width="12" height="9" rx="1" />
      <path d="M5 13v-3h6v3M6 7h.01M8 7h.01M10 7h.01" />
    </>
  ),
  bridge: (
    <>
      <path d="M1.5 11h13M2.5 11V7M13.5 11V7M1.5 7h13" />
      <path d="M4 7c0 2.2 1.8 4 4 4s4-1.8 4-4" />
    </>
  ),
  veth: (
    <>
      <circle cx="4" cy="8" r="2.4" />
      <circle cx="12" cy="8" r="2.4" />
      <path d="M6.4 8h3.2" />
    </>
  ),
  vxlan: (
    <>
      <path d="M2 12V8a6 6 0 0 1 12 0v4" />
      <path d="M5 12V8.5a3 3 0 0 1 6 0V12" />
    </>
  ),
  macvlan: (
    <>
      <path d="M3 8h4M7 8l5-4M7 8l5 4M7 8h6" />
      <circle cx="3" cy="8" r="1.3" />
    </>
  ),
  tun: (
    <>
      <rect x="2" y="3" width="12" height="8" rx="1" />
      <path d="M5 14h6M8 11v3" />
    </>
  ),
  tap: (
    <>
      <rect x="2" y="2.5" width="12" height="8" rx="1" />
      <path d="M5 14h6M8 10.5v3.5M5 6.5h6" />
    </>
  ),
  loopback: <path d="M8 3.5a4.5 4.5 0 1 1-4.3 3.2M3.7 3.5v3.3H7" />,
  ovs: (
    <>
      <rect x="1.5" y="4" width="13" height="8" rx="1.5" />
      <path d="M4 7h5l-1.5-1.5M12 9H7l1.5 1.5" />
    </>
  ),
  // An OVS patch port: a veth pair's look (two ends joined), squared off as OVS's.
  'ovs-patch': (
    <>
      <rect x="1.6" y="5.6" width="4.8" height="4.8" rx="0.8" />
      <rect x="9.6" y="5.6" width="4.8" height="4.8" rx="0.8" />
      <path d="M6.4 8h3.2" />
    </>
  ),
  dummy: <rect x="3" y="3" width="10" height="10" rx="1" strokeDasharray="2 1.8" />,
  other: <circle cx="8" cy="8" r="3" />,
  'router-port': (
    <>
      <circle cx="8" cy="8" r="6.2" />
      <path d="M4.5 6.2h6l-1.6-1.6M11.5 9.8h-6l1.6 1.6" />
    </>
  ),
  namespace: (
    <>
      <rect x="1.5" y="3" width="13" height="10" rx="1.5" strokeDasharray="2.5 1.5" />
      <path d="M4.5 8h7" />
    </>
  ),
};

export const KIND_LABEL: Record<KindIconName, string> = {
  physical: 'NIC',
  bridge: 'bridge',
  veth: 'veth',
  vxlan: 'vxlan',
  macvlan: 'macvlan',
  tun: 'tun',
  tap: 'tap',
  loopback: 'loopback',
  ovs: 'OVS',
  'ovs-patch': 'OVS patch',
  dummy: 'dummy',
  other: 'other',
  'router-port': 'router port',
  namespace: 'namespace',
};

export function KindIcon({ kind, size }: { kind: KindIconName; size?: number }) {
  return <Svg size={size ?? 14}>{KIND_PATHS[kind]}</Svg>;
}

export function CopyIcon() {
  return (
    <Svg size={13}>
      <rect x="5" y="5" width="9" height="9" rx="1.2" />
      <path d="M11 5V3a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v7a1 1 0 0 0 1 1h2" />
    </Svg>
  );
}

export function CrosshairIcon() {
  return (
    <Svg size={13}>
      <circle cx="8" cy="8" r="5" />
      <path d="M8 1v3M8 12v3M1 8h3M12 8h3" />
    </Svg>
  );
}

export function SwapIcon() {
  return (
    <Svg size={13}>
      <path d="M3 5h10l-2.5-2.5M13 11H3l2.5 2.5" />
    </Svg>
  );
}
