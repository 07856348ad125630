import { type AppState, useApp } from '../store/index.ts';

const selectConnection = (s: AppState) => s.connection;
const selectBadFrames = (s: AppState) => s.badFrames;

const TEXT = {
  connecting: { mark: '◌', label: 'connecting to hub', cls: 'st-warn' },
  online: { mark: '●', label: 'live', cls: 'st-ok' },
  offline: { mark: '○', label: 'hub unreachable, retrying', cls: 'st-down' },
  error: { mark: '✕', label: 'hub refused the connection, retrying', cls: 'st-loss' },
} as const;

/** The browser↔hub link, in words (Hubble's ConnectionIndicator). */
export function ConnectionIndicator() {
  const status = useApp(selectConnection);
  const bad = useApp(selectBadFrames);
  const t = TEXT[status];
  return (
    <span
      className={`flex items-center gap-1 font-semibold ${t.cls}`}
      style={{ fontSize: 11.5 }}
      data-testid="connection"
      data-connection={status}
      role="status"
      title={bad > 0 ? `${bad} malformed frames dropped` : undefined}
    >
      {t.mark} {t.label}
      {bad > 0 && <span className="muted font-normal">({bad} bad frames)</span>}
    </span>
  );
}
