import { lazy, type ReactNode, useState } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { selectView } from '../url/sync.ts';
import { encodeView } from '../url/view.ts';
import { useReplayController } from './context.ts';
import { HeatStrip } from './HeatStrip.tsx';
import { SPEEDS, selectReplayActive } from './replaySlice.ts';
import { fmtLocal, fmtUtc } from './time.ts';
import { REPLAY_KEYS, useReplayKeys } from './useReplayKeys.ts';
import { Later } from '../ui/Later.tsx';
import { setText, useLive } from '../ui/live.ts';

/** Named recordings talk to the hub's replay routes (checked with zod): loaded after the first picture. */
const Recordings = lazy(() => import('./Recordings.tsx').then((m) => ({ default: m.Recordings })));

const selectActive = selectReplayActive;
const selectPlaying = (s: AppState) => s.playing;
const selectPlayhead = (s: AppState) => s.playhead;
const selectSpeed = (s: AppState) => s.speed;
const selectLoading = (s: AppState) => s.replayLoading;
const selectError = (s: AppState) => s.replayError;
const selectSource = (s: AppState) => s.replaySource;
const selectHasLoss = (s: AppState) => s.timeline?.buckets.some((b) => b.worst === 'loss') ?? false;
/**
 * End of the newest sample judged: the sample actually shown (the playhead sits between samples).
 * Replaying only: live, it moves every second and only the clock (a leaf) follows it.
 */
const selectShownT = (s: AppState) => (selectReplayActive(s) ? s.lastT : null);
/** What the clock shows: the playhead replaying, live the newest sample's time. */
const selectClockT = (s: AppState) => (selectReplayActive(s) ? s.playhead : s.lastT);

/**
 * The newest sample's time (live) or the playhead's, in UTC and local, written in place each
 * second (ui/live.ts): a tick renders nothing. Sized by its characters (a monospace font) as a
 * box of fixed size, it lays out alone instead of the whole page (index.css, .clock); the outer
 * box is the row's flex item, since Chromium never lays a flex item out apart from its container.
 */
function Clock() {
  const clock = useLive(selectClockT, writeClock);
  return (
    <span className="block">
      <span className="clock mono" ref={clock}>
        <span data-testid="timeline-utc" />
        <span className="muted" data-testid="timeline-local" />
      </span>
    </span>
  );
}

/** Columns a text takes in a monospace font: East Asian wide characters (a zone's name) take two. */
function widthCh(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) n += text.charCodeAt(i) >= 0x1100 ? 2 : 1;
  return n;
}

function writeClock(el: HTMLElement, shown: number | null): void {
  const [utc, local] = el.children as unknown as [HTMLElement, HTMLElement];
  setText(utc, shown === null ? 'now' : fmtUtc(shown));
  setText(local, shown === null ? '' : `(${fmtLocal(shown)} local)`);
  if (shown === null) utc.removeAttribute('title');
  else utc.title = new Date(shown).toISOString();
  const width = `${widthCh(utc.textContent ?? '') + widthCh(local.textContent ?? '') + 2}ch`;
  if (el.style.width !== width) el.style.width = width;
}

/** The link to this exact moment, paused: what "copy link" hands to a colleague. */
function shareUrl(): string {
  const s = appStore.getState();
  const view = selectView(s);
  if (s.playhead !== null) {
    view.t = new Date(s.playhead).toISOString();
    const mark = s.marks.find((m) => m.id === s.rec);
    if (mark !== undefined) view.pos = Math.round(s.playhead - mark.start) / 1000;
  }
  return `${window.location.origin}${window.location.pathname}${encodeView(view)}`;
}

/** How long the shared link stays visible after a click. */
const SHARE_SHOWN_MS = 20_000;

/** Copies the link and also shows it: clipboards are refused on plain http from another host. */
function ShareButton() {
  const [url, setUrl] = useState<string | null>(null);
  return (
    <>
      <button
        type="button"
        className="panel px-1.5 py-0.5"
        data-testid="share"
        title="copy a link to this moment; whoever opens it sees it paused"
        onClick={() => {
          const link = shareUrl();
          setUrl(link);
          navigator.clipboard?.writeText(link).catch(() => {});
          setTimeout(() => setUrl((u) => (u === link ? null : u)), SHARE_SHOWN_MS);
        }}
      >
        share
      </button>
      {url !== null && (
        <input
          readOnly
          className="panel px-1 py-0.5 mono w-72"
          style={{ fontSize: 11 }}
          data-testid="share-url"
          aria-label="link to this moment"
          value={url}
          onFocus={(e) => e.currentTarget.select()}
        />
      )}
    </>
  );
}

/** Transport glyphs as SVG: the UI font may lack ⏮ ⏸ ⏭ (seen as empty boxes on Debian). */
const GLYPH = {
  play: 'M4 2.5v11l9-5.5z',
  pause: 'M4 2.5h3v11H4zM9 2.5h3v11H9z',
  stepBack: 'M3 2.5h2v11H3zM13 2.5v11L6 8z',
  stepFwd: 'M11 2.5h2v11h-2zM3 2.5v11L10 8z',
  prevLoss: 'M2 2.5h2v11H2zM9 2.5v11L4 8zM15 2.5v11L10 8z',
  nextLoss: 'M12 2.5h2v11h-2zM7 2.5v11L12 8zM1 2.5v11L6 8z',
} as const;

function Glyph({ name }: { name: keyof typeof GLYPH }) {
  return (
    <svg width={12} height={12} viewBox="0 0 16 16" aria-hidden className="inline-block">
      <path d={GLYPH[name]} fill="currentColor" />
    </svg>
  );
}

function Btn(props: {
  label: string;
  testId: string;
  onClick: () => void;
  children: ReactNode;
  disabled?: boolean;
}) {
  return (
    <button
      type="button"
      className="panel px-1.5 py-0.5 mono"
      aria-label={props.label}
      title={props.label}
      data-testid={props.testId}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}

/**
 * Under the map: live or replay, play/pause/step/speed, previous/next loss, the time in UTC and
 * local, the heat strip to scrub, named recordings, share and export.
 */
export function Timeline() {
  const active = useApp(selectActive);
  const playing = useApp(selectPlaying);
  const playhead = useApp(selectPlayhead);
  const speed = useApp(selectSpeed);
  const loading = useApp(selectLoading);
  const error = useApp(selectError);
  const source = useApp(selectSource);
  const hasLoss = useApp(selectHasLoss);
  const shownT = useApp(selectShownT);
  useReplayKeys();
  const s = appStore.getState;
  const controller = useReplayController();
  const c = () => controller;
  return (
    <section
      className="border-t px-3 py-1.5 flex flex-col gap-1"
      style={{ borderColor: 'var(--line)', background: 'var(--panel)' }}
      aria-label="timeline"
      data-testid="timeline"
      data-mode={active ? 'replay' : 'live'}
      data-playing={playing ? 'true' : 'false'}
      data-playhead={active ? (playhead ?? '') : ''}
      data-shown-t={active ? (shownT ?? '') : ''}
    >
      <div className="flex items-center gap-1.5 flex-wrap" style={{ fontSize: 12 }}>
        <span
          className={`font-bold px-1.5 rounded ${active ? 'st-warn' : 'st-ok'}`}
          data-testid="timeline-mode"
          title={source === 'file' ? 'replaying a recording file' : undefined}
        >
          {active ? (playing ? '▶ REPLAY' : '‖ REPLAY') : '● LIVE'}
          {source === 'file' && ' (file)'}
        </span>
        <Btn
          label="previous loss (Shift+←)"
          testId="timeline-prev-loss"
          onClick={() => void c()?.jumpLoss(-1)}
          disabled={!hasLoss}
        >
          <Glyph name="prevLoss" />
        </Btn>
        <Btn label="one sample back (←)" testId="timeline-step-back" onClick={() => void c()?.step(-1)}>
          <Glyph name="stepBack" />
        </Btn>
        <Btn
          label={playing ? 'pause (Space)' : 'play (Space)'}
          testId="timeline-play"
          onClick={() => (active ? s().togglePlay() : void c()?.step(-1))}
        >
          <Glyph name={playing ? 'pause' : 'play'} />
        </Btn>
        <Btn
          label="one sample forward (→)"
          testId="timeline-step-fwd"
          onClick={() => void c()?.step(1)}
          disabled={!active}
        >
          <Glyph name="stepFwd" />
        </Btn>
        <Btn
          label="next loss (Shift+→)"
          testId="timeline-next-loss"
          onClick={() => void c()?.jumpLoss(1)}
          disabled={!hasLoss}
        >
          <Glyph name="nextLoss" />
        </Btn>
        <select
          className="panel px-1 py-0.5 mono"
          data-testid="timeline-speed"
          aria-label="playback speed ([ slower, ] faster)"
          value={String(speed)}
          onChange={(e) => s().setSpeed(Number(e.currentTarget.value))}
        >
          {!SPEEDS.some((x) => x === speed) && <option value={String(speed)}>{speed}×</option>}
          {SPEEDS.map((x) => (
            <option key={x} value={String(x)}>
              {x}×
            </option>
          ))}
        </select>
        {/* Live, the newest sample's time: the clock is always on screen, in UTC and local. */}
        <Clock />
        {loading && <span className="muted">loading…</span>}
        {error !== null && (
          <span className="st-loss" role="alert" data-testid="timeline-error">
            {error}
          </span>
        )}
        <div className="ml-auto flex items-center gap-1.5">
          {active && (
            <Btn label="back to live (End)" testId="timeline-live" onClick={() => s().goLive()}>
              ● live
            </Btn>
          )}
          {active && <ShareButton />}
          {/* With the controller: it is loaded after the first picture (replay/later.ts), and so are these. */}
          {controller !== null && (
            <Later>
              <Recordings />
            </Later>
          )}
          <span className="muted cursor-help" title={REPLAY_KEYS.map(([k, v]) => `${k}: ${v}`).join('\n')}>
            keys
          </span>
        </div>
      </div>
      <HeatStrip />
    </section>
  );
}
