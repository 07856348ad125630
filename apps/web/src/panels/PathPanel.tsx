import { memo, useCallback } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { fmtNum, fmtPct } from '../ui/format.ts';
import { nsShort } from '../ui/names.ts';
import { StatusIcon } from '../ui/icons.tsx';
import { STATUS_LABEL } from '../ui/status.ts';

const selectPath = (s: AppState) => s.path;

const PathRow = memo(function PathRow({ id, index }: { id: string; index: number }) {
  const stat = useApp(useCallback((s: AppState) => s.statsById.get(id), [id]));
  const iface = useApp(useCallback((s: AppState) => s.ifaceById.get(id), [id]));
  const status = stat?.status ?? 'idle';
  return (
    <tr
      data-path-row={id}
      data-status={status}
      className="cursor-pointer"
      style={{
        background: status === 'loss' ? 'color-mix(in srgb, var(--st-loss) 14%, transparent)' : undefined,
      }}
      onClick={() => appStore.getState().reveal(id)}
    >
      <td className="mono text-right pr-1 muted">{index}</td>
      <td className="mono whitespace-nowrap" title={id}>
        {iface?.name ?? id}
        <div className="muted" style={{ fontSize: 10.5 }}>
          {iface ? nsShort(iface.netns) : 'no longer exists'}
        </div>
      </td>
      <td>
        <span
          className={`st-${status} flex items-center gap-0.5 uppercase font-bold`}
          style={{ fontSize: 10 }}
        >
          <StatusIcon status={status} size={12} />
          {STATUS_LABEL[status]}
        </span>
      </td>
      <td className="mono text-right" data-col="in">
        {fmtNum(stat?.rxPps ?? 0)}
      </td>
      <td className="mono text-right" data-col="out">
        {fmtNum(stat?.txPps ?? 0)}
      </td>
      <td
        className={`mono text-right ${stat && stat.drops > 0 ? 'st-loss font-bold' : 'muted'}`}
        data-col="drop"
      >
        {fmtNum(stat?.dropsPerSec ?? 0)}
      </td>
      <td className={`mono text-right ${stat && stat.lossRatio > 0 ? 'st-loss' : 'muted'}`}>
        {fmtPct(stat?.lossRatio ?? 0)}
      </td>
    </tr>
  );
});

/** The packet walk: every hop of the path with packets in/out per second and its drops. */
export function PathPanel() {
  const path = useApp(selectPath);
  if (path === null) return null;
  return (
    <section data-testid="path-hops" aria-label="path hops">
      <h2 className="uppercase font-bold muted mb-1" style={{ fontSize: 11 }}>
        Path · {path.length} hops
      </h2>
      <table className="w-full" style={{ fontSize: 12 }}>
        <thead className="muted" style={{ fontSize: 10.5 }}>
          <tr>
            <th className="text-right pr-1">#</th>
            <th className="text-left">hop</th>
            <th className="text-left">status</th>
            <th className="text-right" title="packets in per second">
              in/s
            </th>
            <th className="text-right" title="packets out per second">
              out/s
            </th>
            <th className="text-right" title="packets lost per second">
              drop/s
            </th>
            <th className="text-right">loss</th>
          </tr>
        </thead>
        <tbody>
          {path.map((id, i) => (
            <PathRow key={id} id={id} index={i + 1} />
          ))}
        </tbody>
      </table>
    </section>
  );
}
