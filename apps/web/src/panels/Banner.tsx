import { type AppState, useApp } from '../store/index.ts';
import { fmtAgo } from '../ui/format.ts';

const selectState = (s: AppState) => {
  const hostInfo = s.host === null ? undefined : s.hosts?.find((h) => h.host === s.host);
  if (s.connection !== 'online' && s.hosts === null) return 'no-hub';
  if (s.hosts !== null && s.hosts.length === 0) return 'no-agent';
  if (s.host === null) return s.hosts === null ? 'loading' : 'choose';
  if (s.hosts !== null && hostInfo === undefined) return 'gone';
  // Replaying (replay/), the agent's absence is not news: the map shows the recording.
  if (hostInfo?.status === 'lost' && s.t === 'live' && s.rec === null) return 'lost';
  if (s.topology === null) return 'waiting';
  if (s.layout === null) return 'layout';
  return 'ok';
};
const selectHost = (s: AppState) => s.host;
const selectLastSeen = (s: AppState) => s.hosts?.find((h) => h.host === s.host)?.lastSeen ?? null;
const selectHubError = (s: AppState) => s.hubError;

/** Empty and error states, in words, over the map. */
export function Banner() {
  const state = useApp(selectState);
  const host = useApp(selectHost);
  const lastSeen = useApp(selectLastSeen);
  const hubError = useApp(selectHubError);
  if (state === 'ok' && hubError === null) return null;
  const text = {
    'no-hub': [
      'Cannot reach the hub.',
      'The page retries on its own; is `hopwatch start` (or `hopwatch hub`) running?',
    ],
    'no-agent': [
      'No agent connected.',
      'Start one on each machine: hopwatch agent --hub ws://HUB:7070 (hopwatch start runs one for this machine).',
    ],
    loading: ['Loading hosts…', ''],
    choose: ['Choose a host.', 'Pick a hypervisor in the host list above to see its map.'],
    gone: [`Host ${host} is gone.`, 'No agent reports under this name any more. Pick another host.'],
    lost: [
      `Agent on ${host} lost.`,
      `Last report ${lastSeen === null ? 'unknown' : fmtAgo(Date.now() - lastSeen)}; the map shows the last known state.`,
    ],
    waiting: [`Waiting for the topology of ${host}…`, ''],
    layout: ['Laying out…', ''],
    ok: ['', ''],
  }[state];
  const floating = state === 'lost' || state === 'ok';
  return (
    <div
      data-testid="banner"
      data-state={state}
      role="status"
      className={
        floating
          ? 'absolute top-2 left-1/2 -translate-x-1/2 z-10 panel px-3 py-1.5 shadow st-warn'
          : 'absolute inset-0 flex items-center justify-center pointer-events-none'
      }
    >
      <div className={floating ? '' : 'panel px-5 py-4 max-w-md text-center pointer-events-auto'}>
        {text[0] !== '' && <div className="font-semibold">{text[0]}</div>}
        {text[1] !== '' && <div className="muted">{text[1]}</div>}
        {hubError !== null && <div className="st-loss mono">{hubError}</div>}
      </div>
    </div>
  );
}
