import { HOP_STATUSES } from '@hopwatch/shared/protocol/constants';
import { type KindIconName, KIND_LABEL, KindIcon, StatusIcon } from '../ui/icons.tsx';
import { STATUS_LABEL, STATUS_MEANING } from '../ui/status.ts';

const KINDS: KindIconName[] = [
  'physical',
  'bridge',
  'veth',
  'router-port',
  'tap',
  'vxlan',
  'macvlan',
  'ovs',
  'ovs-patch',
  'dummy',
  'namespace',
];

const EDGES = [
  { kind: 'veth', label: 'veth pair' },
  { kind: 'patch', label: 'OVS patch ports' },
  { kind: 'bridge-port', label: 'bridge port' },
  { kind: 'lower', label: 'upper / lower device' },
  { kind: 'route', label: 'routed inside a namespace' },
] as const;

const KEYS = [
  ['/', 'find an interface'],
  ['Tab', 'move through hops'],
  ['Enter', 'select the focused hop'],
  ['Esc', 'clear selection, then path'],
] as const;

/** Shapes, colours, line styles and keys: one click away, always the same words as the map. */
export function Legend() {
  return (
    <section
      data-testid="legend"
      aria-label="legend"
      className="panel p-2 flex flex-col gap-2 shadow-lg"
      style={{ fontSize: 11.5 }}
    >
      <div>
        <h3 className="uppercase font-bold muted" style={{ fontSize: 10.5 }}>
          status
        </h3>
        <ul>
          {HOP_STATUSES.map((s) => (
            <li key={s} className="flex items-center gap-1.5">
              <span
                className={`st-${s} flex items-center gap-0.5 uppercase font-bold w-14`}
                style={{ fontSize: 10 }}
              >
                <StatusIcon status={s} size={13} />
                {STATUS_LABEL[s]}
              </span>
              <span className="muted">{STATUS_MEANING[s]}</span>
            </li>
          ))}
        </ul>
      </div>
      <div>
        <h3 className="uppercase font-bold muted" style={{ fontSize: 10.5 }}>
          links
        </h3>
        <ul>
          {EDGES.map((e) => (
            <li key={e.kind} className="flex items-center gap-1.5">
              <svg width="36" height="8" aria-hidden>
                <path d="M1 4H35" className="hop-edge" data-kind={e.kind} />
              </svg>
              {e.label}
            </li>
          ))}
          <li className="flex items-center gap-1.5">
            <svg width="36" height="8" aria-hidden>
              <path d="M1 4H35" className="hop-edge" data-on-path="true" />
            </svg>
            selected path (hops numbered 1…n)
          </li>
          <li className="flex items-center gap-1.5">
            <svg width="36" height="8" aria-hidden>
              <path d="M1 4H35" className="hop-edge" data-on-path="true" data-loss="true" />
            </svg>
            into the hop that loses packets
          </li>
        </ul>
      </div>
      <div>
        <h3 className="uppercase font-bold muted" style={{ fontSize: 10.5 }}>
          interfaces
        </h3>
        <ul className="grid grid-cols-2 gap-x-2">
          {KINDS.map((k) => (
            <li key={k} className="flex items-center gap-1.5">
              <KindIcon kind={k} size={13} /> {KIND_LABEL[k]}
            </li>
          ))}
        </ul>
      </div>
      <div>
        <h3 className="uppercase font-bold muted" style={{ fontSize: 10.5 }}>
          keys
        </h3>
        <ul>
          {KEYS.map(([k, what]) => (
            <li key={k}>
              <span className="kbd">{k}</span> {what}
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}
