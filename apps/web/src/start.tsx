import { StrictMode, type ReactNode, useSyncExternalStore } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { SignIn } from './auth/SignIn.tsx';
import { watchSession } from './auth/session.ts';
import { startEarly } from './connection/early.ts';
import { startLive } from './connection/live.ts';
import { startJudge } from './judge/client.ts';
import { startLayout } from './layout/controller.ts';
import { ReplayControllerContext } from './replay/context.ts';
import { type LateReplay, startReplayLater } from './replay/later.ts';
import { appStore } from './store/index.ts';
import type { Theme } from './store/selectionSlice.ts';
import { startUrlSync } from './url/sync.ts';
import './index.css';

const THEME_KEY = 'hopwatch:theme';

function initialTheme(): Theme {
  const saved = localStorage.getItem(THEME_KEY);
  if (saved === 'dark' || saved === 'light') return saved;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

appStore.getState().setTheme(initialTheme());
appStore.subscribe(
  (s) => s.theme,
  (theme) => {
    document.documentElement.classList.toggle('dark', theme === 'dark');
    localStorage.setItem(THEME_KEY, theme);
  },
  { fireImmediately: true },
);

/** Hands the replay controller to the timeline once it is loaded (replay/later.ts). */
function WithReplay({ replay, children }: { replay: LateReplay; children: ReactNode }) {
  const controller = useSyncExternalStore(replay.subscribe, replay.get);
  return <ReplayControllerContext.Provider value={controller}>{children}</ReplayControllerContext.Provider>;
}

// Started by main.tsx before this bundle was evaluated: the session check (a login URL's token is
// exchanged and leaves the address bar before anything reads the URL) and the hub socket.
const early = startEarly(window);
const boot = await early.session;
const root = createRoot(document.getElementById('root')!);
if (boot.kind === 'out') {
  early.socket.stop();
  early.judge?.worker.terminate();
  root.render(
    <StrictMode>
      <SignIn reason={boot.reason} />
    </StrictMode>,
  );
} else {
  // Order matters: the URL decides the host before the socket subscribes.
  startUrlSync(appStore, window);
  startLayout(appStore);
  const judge = startJudge(appStore, early.judge);
  startLive(appStore, early.socket, judge);
  const replay = startReplayLater(appStore, judge);
  watchSession(appStore);
  root.render(
    <StrictMode>
      <WithReplay replay={replay}>
        <App />
      </WithReplay>
    </StrictMode>,
  );
}
