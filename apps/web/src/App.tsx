import { lazy, type ReactNode, useEffect, useRef, useState } from 'react';
import { AuthOffBanner, SessionMenu } from './auth/SessionMenu.tsx';
import { selectShowFleet } from './fleet/route.ts';
import { MapCanvas } from './map/MapCanvas.tsx';
import { Announcer } from './panels/Announcer.tsx';
import { Banner } from './panels/Banner.tsx';
import { ExportButtons } from './panels/ExportButtons.tsx';
import { ConnectionIndicator } from './panels/ConnectionIndicator.tsx';
import { FindingsPanel } from './panels/FindingsPanel.tsx';
import { HostPicker } from './panels/HostPicker.tsx';
import { Legend } from './panels/Legend.tsx';
import { PathBar } from './panels/PathBar.tsx';
import { PathPanel } from './panels/PathPanel.tsx';
import { TruncatedBanner } from './panels/TruncatedBanner.tsx';
import { TypeAhead } from './panels/TypeAhead.tsx';
import { Timeline } from './replay/Timeline.tsx';
import { type AppState, appStore, useApp } from './store/index.ts';
import { Later } from './ui/Later.tsx';

/**
 * Loaded when first shown, not on the way to the first picture of the map (bench:web): the fleet
 * overview (no host chosen), the waterfall (opened on a path), the hop detail (a hop selected).
 */
const FleetOverview = lazy(() =>
  import('./fleet/FleetOverview.tsx').then((m) => ({ default: m.FleetOverview })),
);
const WaterfallPanel = lazy(() =>
  import('./panels/WaterfallPanel.tsx').then((m) => ({ default: m.WaterfallPanel })),
);
const HopDetail = lazy(() => import('./panels/HopDetail.tsx').then((m) => ({ default: m.HopDetail })));

const selectTheme = (s: AppState) => s.theme;
const selectHasSel = (s: AppState) => s.sel !== null;
const selectWaterfallShown = (s: AppState) => s.wf && s.path !== null;
const selectPicking = (s: AppState) => s.picking;
const selectWf = (s: AppState) => s.wf;
const selectHasPath = (s: AppState) => s.path !== null;

function isTyping(el: EventTarget | null): boolean {
  return (
    el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement
  );
}

/** The waterfall's toggle, shown with a path: its own component, so a path coming or going re-renders only it. */
function WaterfallToggle() {
  const wf = useApp(selectWf);
  const hasPath = useApp(selectHasPath);
  if (!hasPath) return null;
  return (
    <button
      type="button"
      className="panel px-1.5"
      style={{ fontSize: 11.5 }}
      aria-pressed={wf}
      data-testid="waterfall-toggle"
      onClick={() => appStore.getState().setWaterfall(!wf)}
    >
      waterfall
    </button>
  );
}

/**
 * A lazily loaded panel, shown while `select` holds: loaded the first time it is; until then (and
 * closed) nothing here follows a tick.
 */
function LaterWhen({ select, children }: { select: (s: AppState) => boolean; children: ReactNode }) {
  return useApp(select) ? <Later>{children}</Later> : null;
}

/** App-wide keys: `/` finds, Esc clears (selection first, then the path). */
function useGlobalKeys(findRef: React.RefObject<HTMLInputElement | null>) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === '/' && !isTyping(e.target)) {
        e.preventDefault();
        findRef.current?.focus();
      } else if (e.key === 'Escape' && !isTyping(e.target)) {
        appStore.getState().clearStep();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [findRef]);
}

export function App() {
  const theme = useApp(selectTheme);
  const picking = useApp(selectPicking);
  const showFleet = useApp(selectShowFleet);
  const findRef = useRef<HTMLInputElement>(null);
  const [legend, setLegend] = useState(false);
  useGlobalKeys(findRef);
  return (
    <div className="h-full flex flex-col">
      <AuthOffBanner />
      <header
        className="flex items-center gap-3 px-3 py-1.5 border-b"
        style={{ borderColor: 'var(--line)', background: 'var(--panel)' }}
      >
        <span className="font-bold tracking-tight" style={{ fontSize: 14 }}>
          hop<span style={{ color: 'var(--st-loss)' }}>watch</span>
        </span>
        <HostPicker />
        <ConnectionIndicator />
        <div className="ml-auto flex items-center gap-2">
          <TypeAhead
            label="find"
            value={null}
            placeholder="interface…  ( / )"
            testId="find"
            inputRef={findRef}
            onPick={(id) => appStore.getState().reveal(id)}
          />
          <div className="relative">
            <button
              type="button"
              className="panel px-2 py-1"
              aria-expanded={legend}
              onClick={() => setLegend((v) => !v)}
              data-testid="legend-toggle"
            >
              legend
            </button>
            {legend && (
              <div className="absolute right-0 mt-1 z-50 w-80">
                <Legend />
              </div>
            )}
          </div>
          <button
            type="button"
            className="panel px-2 py-1"
            data-testid="theme-toggle"
            aria-label={`switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
            onClick={() => appStore.getState().setTheme(theme === 'dark' ? 'light' : 'dark')}
          >
            {theme === 'dark' ? '☀ light' : '☾ dark'}
          </button>
          <SessionMenu />
        </div>
      </header>
      <div
        className="flex items-center gap-3 px-3 py-1 border-b"
        style={{ borderColor: 'var(--line)', background: 'var(--panel)' }}
      >
        <PathBar />
        {picking !== null && (
          <span className="st-warn" style={{ fontSize: 12 }} role="status">
            click a hop on the map to set the {picking === 'from' ? 'source' : 'destination'} (Esc cancels)
          </span>
        )}
        <WaterfallToggle />
        <ExportButtons />
        <div className="ml-auto flex items-center gap-1.5" style={{ fontSize: 11.5 }}>
          <span className="muted">namespaces</span>
          <button
            type="button"
            className="panel px-1.5"
            data-testid="expand-all"
            onClick={() => appStore.getState().setAllCollapsed(false)}
          >
            expand all
          </button>
          <button
            type="button"
            className="panel px-1.5"
            data-testid="collapse-all"
            onClick={() => appStore.getState().setAllCollapsed(true)}
          >
            collapse all
          </button>
        </div>
      </div>
      {showFleet && (
        <Later>
          <FleetOverview />
        </Later>
      )}
      <div className="flex-1 flex min-h-0" style={showFleet ? { display: 'none' } : undefined}>
        <main className="flex-1 min-w-0 flex flex-col">
          <div className="flex-1 relative min-h-0">
            <MapCanvas />
            <Banner />
            <TruncatedBanner />
          </div>
          <LaterWhen select={selectWaterfallShown}>
            <WaterfallPanel />
          </LaterWhen>
        </main>
        <aside
          className="w-[400px] shrink-0 overflow-y-auto border-l p-2 flex flex-col gap-3"
          style={{ borderColor: 'var(--line)', background: 'var(--bg)' }}
          aria-label="details"
        >
          <FindingsPanel />
          <PathPanel />
          <LaterWhen select={selectHasSel}>
            <HopDetail />
          </LaterWhen>
        </aside>
      </div>
      <Timeline />
      <Announcer />
    </div>
  );
}
