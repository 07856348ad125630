import { type PointerEvent, useCallback, useRef } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import type { TimelineBucket } from './api.ts';
import { selectReplayActive } from './replaySlice.ts';
import { fmtUtc } from './time.ts';

const selectTimeline = (s: AppState) => s.timeline;
const selectPlayhead = (s: AppState) => s.playhead;
const selectActive = selectReplayActive;
const selectMarks = (s: AppState) => s.marks;
const selectRec = (s: AppState) => s.rec;
const selectHost = (s: AppState) => s.host;

/** Bar height by status: colour is never the only signal, loss also stands tallest. */
const HEIGHT: Record<string, string> = { loss: '100%', down: '85%', warn: '65%', ok: '30%', idle: '18%' };

function bucketTitle(b: TimelineBucket): string {
  if (b.worst === null) return `${fmtUtc(b.start)}: nothing recorded`;
  const lost = b.drops > 0 ? `, ${b.drops} packets lost on ${b.lossHops} hop(s)` : '';
  return `${fmtUtc(b.start)}: ${b.worst}${lost}`;
}

/**
 * The recorded range as a strip of buckets coloured by their worst hop status (the hub's
 * timeline route judges them with the shared code), named recordings as bands, the playhead as
 * a line. Click or drag to scrub; it is also a slider for assistive technology.
 */
export function HeatStrip() {
  const timeline = useApp(selectTimeline);
  const playhead = useApp(selectPlayhead);
  const active = useApp(selectActive);
  const marks = useApp(selectMarks);
  const rec = useApp(selectRec);
  const host = useApp(selectHost);
  const ref = useRef<HTMLDivElement>(null);
  const dragging = useRef(false);

  const timeAt = useCallback(
    (clientX: number) => {
      const el = ref.current;
      if (el === null || timeline === null) return null;
      const r = el.getBoundingClientRect();
      const f = Math.min(1, Math.max(0, (clientX - r.left) / Math.max(1, r.width)));
      return timeline.start + f * (timeline.end - timeline.start);
    },
    [timeline],
  );
  const scrub = (e: PointerEvent<HTMLDivElement>) => {
    const t = timeAt(e.clientX);
    if (t !== null) appStore.getState().seek(t);
  };

  if (timeline === null) {
    return (
      <div
        className="h-7 flex items-center muted"
        style={{ fontSize: 11 }}
        data-testid="timeline-strip-empty"
      >
        {host === null ? 'no host' : 'no recording yet for this host'}
      </div>
    );
  }
  const span = Math.max(1, timeline.end - timeline.start);
  const frac = (t: number) => `${(Math.min(1, Math.max(0, (t - timeline.start) / span)) * 100).toFixed(3)}%`;
  const shownAt = active && playhead !== null ? playhead : timeline.end;
  const hostMarks = marks.filter((m) => m.hosts === null || (host !== null && m.hosts.includes(host)));
  return (
    <div
      ref={ref}
      className="relative h-7 rounded select-none cursor-pointer"
      style={{ background: 'var(--panel-2)', touchAction: 'none' }}
      data-testid="timeline-strip"
      data-start={timeline.start}
      data-end={timeline.end}
      role="slider"
      tabIndex={0}
      aria-label="replay position: losses over the recorded range"
      aria-valuemin={timeline.start}
      aria-valuemax={timeline.end}
      aria-valuenow={Math.round(shownAt)}
      aria-valuetext={active ? fmtUtc(shownAt) : 'live'}
      onPointerDown={(e) => {
        dragging.current = true;
        e.currentTarget.setPointerCapture(e.pointerId);
        appStore.getState().pause();
        scrub(e);
      }}
      onPointerMove={(e) => {
        if (dragging.current) scrub(e);
      }}
      onPointerUp={(e) => {
        dragging.current = false;
        e.currentTarget.releasePointerCapture(e.pointerId);
      }}
    >
      <div className="absolute inset-0 flex items-end">
        {timeline.buckets.map((b) => (
          <div
            key={b.start}
            className="flex-1 h-full flex items-end"
            data-testid="timeline-bucket"
            data-worst={b.worst ?? 'none'}
            data-start={b.start}
            data-end={b.end}
            title={bucketTitle(b)}
          >
            {b.worst !== null && (
              <div
                className="w-full"
                style={{
                  height: HEIGHT[b.worst] ?? '18%',
                  background: `var(--st-${b.worst})`,
                  opacity: 0.85,
                }}
              />
            )}
          </div>
        ))}
      </div>
      {hostMarks.map((m) => (
        <div
          key={m.id}
          className="absolute top-0 h-1.5 rounded-sm pointer-events-none"
          data-testid="timeline-mark"
          data-mark={m.id}
          title={m.name}
          style={{
            left: frac(m.start),
            width: `max(3px, calc(${frac(m.end)} - ${frac(m.start)}))`,
            background: m.id === rec ? 'var(--sel)' : 'var(--path)',
          }}
        />
      ))}
      <div
        className="absolute -top-1 -bottom-1 w-0.5 pointer-events-none"
        data-testid="timeline-playhead"
        style={{ left: frac(shownAt), background: active ? 'var(--fg)' : 'var(--st-ok)' }}
      />
    </div>
  );
}
