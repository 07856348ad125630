import { useState } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { canOperate } from '../auth/session.ts';
import { createMark, deleteMark, exportUrl, type Timeline, renameMark } from './api.ts';
import { useReplayController } from './context.ts';
import { fmtSpan, fmtUtc } from './time.ts';

const selectMarks = (s: AppState) => s.marks;
const selectRec = (s: AppState) => s.rec;
const selectHost = (s: AppState) => s.host;
const selectPlayhead = (s: AppState) => s.playhead;

/** Around a moment: the contiguous loss around it on the strip, padded; else a minute either side. */
export function suggestRange(timeline: Timeline | null, t: number): { start: number; end: number } {
  const PAD_MS = 30_000;
  const b = timeline?.buckets ?? [];
  let i = b.findIndex((x) => x.start <= t && t <= x.end);
  if (i < 0 || b[i]!.worst !== 'loss') {
    // The nearest loss within two minutes counts too: "mark this incident" is said near it.
    const near = b
      .map((x, k) => ({ k, d: Math.abs((x.start + x.end) / 2 - t) }))
      .filter(({ k, d }) => b[k]!.worst === 'loss' && d <= 120_000)
      .sort((x, y) => x.d - y.d)[0];
    if (near === undefined) return { start: t - 60_000, end: t + 60_000 };
    i = near.k;
  }
  let lo = i;
  let hi = i;
  while (lo > 0 && b[lo - 1]!.worst === 'loss') lo--;
  while (hi < b.length - 1 && b[hi + 1]!.worst === 'loss') hi++;
  return { start: b[lo]!.start - PAD_MS, end: b[hi]!.end + PAD_MS };
}

function fail(e: unknown) {
  appStore.getState().setReplayLoading(false, (e as Error).message);
}

/** Named recordings: open one, mark a new one, rename, delete, export. */
export function Recordings() {
  const marks = useApp(selectMarks);
  const rec = useApp(selectRec);
  const host = useApp(selectHost);
  const playhead = useApp(selectPlayhead);
  const [form, setForm] = useState<null | { mode: 'new' | 'rename'; name: string }>(null);
  const controller = useReplayController();
  const current = marks.find((m) => m.id === rec);
  const refresh = () => controller?.refresh();

  const save = async () => {
    if (form === null) return;
    const s = appStore.getState();
    try {
      if (form.mode === 'rename' && current !== undefined) await renameMark(current.id, form.name);
      else {
        const at = s.playhead ?? s.replayRange?.end ?? Date.now();
        const range = suggestRange(s.timeline, at);
        const r = s.replayRange;
        const m = await createMark({
          name: form.name,
          hosts: s.host === null ? null : [s.host],
          start: Math.round(r === null ? range.start : Math.max(r.start, range.start)),
          end: Math.round(r === null ? range.end : Math.min(r.end, range.end)),
        });
        await refresh();
        appStore.getState().openRecording(m.id, Math.max(0, (at - m.start) / 1000));
      }
      setForm(null);
      await refresh();
    } catch (e) {
      fail(e);
    }
  };

  const exportHref =
    current !== undefined
      ? exportUrl({ rec: current.id })
      : host !== null && playhead !== null
        ? exportUrl({ host, start: playhead - 300_000, end: playhead + 300_000 })
        : null;

  return (
    <div className="flex items-center gap-1.5" style={{ fontSize: 11.5 }}>
      <select
        className="panel px-1 py-0.5 max-w-56"
        data-testid="recordings"
        aria-label="named recordings"
        value={rec ?? ''}
        onChange={(e) => {
          const id = e.currentTarget.value;
          if (id === '') appStore.getState().goLive();
          else appStore.getState().openRecording(id, 0);
        }}
      >
        <option value="">recordings ({marks.length})…</option>
        {marks.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name} — {fmtUtc(m.start)}, {fmtSpan(m.end - m.start)}
          </option>
        ))}
      </select>
      {form !== null ? (
        <form
          className="flex items-center gap-1"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <input
            className="panel px-1 py-0.5 w-64"
            data-testid="mark-name"
            aria-label="recording name"
            placeholder="INC-4711 packet loss on net-node-3"
            value={form.name}
            // biome-ignore lint/a11y/noAutofocus: the form opens on the operator's click to type a name
            autoFocus
            onChange={(e) => setForm({ ...form, name: e.currentTarget.value })}
            onKeyDown={(e) => e.key === 'Escape' && setForm(null)}
          />
          <button
            type="submit"
            className="panel px-1.5"
            data-testid="mark-save"
            disabled={form.name.trim() === ''}
          >
            save
          </button>
          <button type="button" className="panel px-1.5" onClick={() => setForm(null)}>
            cancel
          </button>
        </form>
      ) : canOperate() ? (
        <>
          <button
            type="button"
            className="panel px-1.5"
            data-testid="mark-open"
            title="name the incident around this moment (kept past retention)"
            disabled={host === null}
            onClick={() => setForm({ mode: 'new', name: '' })}
          >
            mark…
          </button>
          {current !== undefined && (
            <>
              <button
                type="button"
                className="panel px-1.5"
                data-testid="mark-rename"
                onClick={() => setForm({ mode: 'rename', name: current.name })}
              >
                rename
              </button>
              <button
                type="button"
                className="panel px-1.5"
                data-testid="mark-delete"
                onClick={() => {
                  if (
                    !window.confirm(
                      `Delete the recording "${current.name}"? Its samples expire with retention.`,
                    )
                  )
                    return;
                  deleteMark(current.id)
                    .then(() => {
                      appStore.getState().setReplayLoading(false);
                      appStore.setState({ rec: null, pos: null });
                      return refresh();
                    })
                    .catch(fail);
                }}
              >
                delete
              </button>
            </>
          )}
        </>
      ) : null}
      {exportHref !== null && (
        <a className="panel px-1.5" data-testid="export" href={exportHref} download>
          export
        </a>
      )}
    </div>
  );
}
