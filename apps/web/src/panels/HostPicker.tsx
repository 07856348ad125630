import type { HostSummary } from '@hopwatch/shared';
import { type AppState, appStore, useApp } from '../store/index.ts';

const selectHosts = (s: AppState) => s.hosts;
const selectHost = (s: AppState) => s.host;

const AGENT_MARK: Record<HostSummary['status'], string> = { online: '●', lagging: '◐', lost: '○' };

function optionText(h: HostSummary): string {
  const loss = h.lossHops === 0 ? 'no loss' : `${h.lossHops} hop${h.lossHops === 1 ? '' : 's'} losing`;
  return `${AGENT_MARK[h.status]} ${h.host} — ${h.status}, ${loss}`;
}

/** Hosts with their agent's live status (online, lagging, lost) and how many hops lose packets now. */
export function HostPicker() {
  const hosts = useApp(selectHosts);
  const host = useApp(selectHost);
  const current = hosts?.find((h) => h.host === host);
  return (
    <div className="flex items-center gap-2" data-testid="host-picker">
      <label className="flex items-center gap-1.5">
        <span className="muted uppercase font-semibold" style={{ fontSize: 10.5 }}>
          host
        </span>
        <select
          className="panel px-1.5 py-1 mono max-w-72"
          style={{ fontSize: 12 }}
          value={host ?? ''}
          onChange={(e) => appStore.getState().setHost(e.currentTarget.value || null)}
          aria-label="host"
        >
          <option value="">
            {hosts === null ? 'loading…' : hosts.length === 0 ? 'no agent connected' : 'choose a host…'}
          </option>
          {host !== null && current === undefined && (
            <option value={host}>{hosts === null ? host : `✕ ${host} — gone`}</option>
          )}
          {hosts?.map((h) => (
            <option key={h.host} value={h.host}>
              {optionText(h)}
            </option>
          ))}
        </select>
      </label>
      {current !== undefined && (
        <span
          className={`flex items-center gap-1 font-semibold ${current.status === 'online' ? 'st-ok' : current.status === 'lagging' ? 'st-warn' : 'st-down'}`}
          style={{ fontSize: 11.5 }}
          data-testid="host-status"
          data-agent={current.status}
        >
          {AGENT_MARK[current.status]} agent {current.status}
          {current.lossHops > 0 && (
            <span className="st-loss ml-1">
              · {current.lossHops} hop{current.lossHops === 1 ? '' : 's'} losing
            </span>
          )}
        </span>
      )}
    </div>
  );
}
