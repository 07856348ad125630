import type { Finding } from '@hopwatch/shared';
import { useCallback } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { fmtNum } from '../ui/format.ts';
import { StatusIcon } from '../ui/icons.tsx';
import { CopyButton } from './CopyButton.tsx';

const selectFindings = (s: AppState) => s.findings;
const selectPathError = (s: AppState) => s.pathError;
const selectSuggestions = (s: AppState) => s.pathSuggestions;
const selectHasTopology = (s: AppState) => s.topology !== null;
/** Whole seconds, as shown: a window a few ms longer than the last one re-renders nothing. */
const selectWindow = (s: AppState) => Math.round(s.windowSeconds);

const SEVERITY_STATUS = { info: 'idle', warn: 'warn', loss: 'loss' } as const;

/**
 * The judge's notes on a finding's hop (how the drops were attributed to it, or that they are the
 * reverse direction): a string, so a tick that leaves them alone re-renders nothing.
 */
function HopNotes({ hop }: { hop: string | null }) {
  const notes = useApp(
    useCallback((s: AppState) => (hop === null ? '' : (s.statsById.get(hop)?.notes ?? '')), [hop]),
  );
  if (notes === '') return null;
  return (
    <ul
      className="mono muted"
      style={{ fontSize: 11.5 }}
      data-testid="finding-notes"
      aria-label={`notes on ${hop}`}
    >
      {notes.split('\n').map((n) => (
        <li key={n}>ⓘ {n}</li>
      ))}
    </ul>
  );
}

function FindingCard({ f }: { f: Finding }) {
  const status = SEVERITY_STATUS[f.severity];
  return (
    <li
      className="panel p-2 flex flex-col gap-1"
      data-rule={f.rule}
      data-severity={f.severity}
      data-testid="finding"
    >
      <div className="flex items-center gap-1.5">
        <span
          className={`st-${status} flex items-center gap-0.5 uppercase font-bold`}
          style={{ fontSize: 10 }}
        >
          <StatusIcon status={status} size={13} />
          {f.severity}
        </span>
        <span className="mono font-bold" data-testid="finding-rule">
          {f.rule}
        </span>
        <span className="font-semibold">{f.title}</span>
      </div>
      <div className="flex flex-wrap gap-x-3 muted" style={{ fontSize: 11.5 }}>
        {f.hop !== null && (
          <button type="button" className="mono underline" onClick={() => appStore.getState().reveal(f.hop!)}>
            at {f.hop}
          </button>
        )}
        {f.reason !== null && <span className="mono">reason {f.reason}</span>}
        <span className="mono">{fmtNum(f.count)} packets</span>
      </div>
      {f.evidence.length > 0 && (
        // Loss findings open with their evidence; the rest fold it so the cause stays on screen.
        <details open={f.severity === 'loss'}>
          <summary className="muted cursor-pointer" style={{ fontSize: 11 }}>
            evidence ({f.evidence.length})
          </summary>
          <ul className="list-disc pl-4 mono" style={{ fontSize: 11.5 }} data-testid="evidence">
            {f.evidence.map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
        </details>
      )}
      <HopNotes hop={f.hop} />
      <div style={{ fontSize: 12 }} data-testid="fix">
        <span className="font-semibold">Fix: </span>
        {f.fix}
      </div>
      {f.command !== null && (
        // The command keeps the full width (it is what gets pasted into a shell); the button sits in its corner.
        <div className="relative">
          <code
            className="mono block px-1.5 py-1 pr-16 rounded whitespace-pre-wrap break-words"
            style={{ background: 'var(--panel-2)', fontSize: 11.5 }}
            data-testid="command"
          >
            {f.command}
          </code>
          <div className="absolute top-0.5 right-0.5">
            <CopyButton text={f.command} label={`copy the command for ${f.rule}`} />
          </div>
        </div>
      )}
    </li>
  );
}

/** Why: one card per finding, most severe first, each with its evidence and the fix. */
export function FindingsPanel() {
  const findings = useApp(selectFindings);
  const pathError = useApp(selectPathError);
  const suggestions = useApp(selectSuggestions);
  const hasTopology = useApp(selectHasTopology);
  const windowSeconds = useApp(selectWindow);
  return (
    <section data-testid="findings" aria-label="findings" className="flex flex-col gap-1.5">
      <h2 className="uppercase font-bold muted flex items-center" style={{ fontSize: 11 }}>
        Findings
        {windowSeconds > 0 && <span className="ml-auto font-normal normal-case">last {windowSeconds} s</span>}
      </h2>
      {pathError !== null && (
        <div className="panel p-2 st-warn" data-testid="path-error">
          No path: {pathError}
          {suggestions.length > 0 && <div className="muted mono">did you mean: {suggestions.join(', ')}</div>}
        </div>
      )}
      {findings.length === 0 ? (
        <p className="muted" style={{ fontSize: 12 }}>
          {hasTopology ? 'Nothing wrong in the last window: no hop loses packets.' : 'No host data yet.'}
        </p>
      ) : (
        <ul className="flex flex-col gap-1.5">
          {findings.map((f) => (
            <FindingCard key={`${f.rule}|${f.hop}|${f.reason}`} f={f} />
          ))}
        </ul>
      )}
    </section>
  );
}
