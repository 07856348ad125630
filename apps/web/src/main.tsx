// First: zod must be told before any schema is built (the hub's CSP has no 'unsafe-eval').
import './auth/csp.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { SignIn } from './auth/SignIn.tsx';
import { bootSession, watchSession } from './auth/session.ts';
import { hubSocketUrl, startLive } from './connection/live.ts';
import { startJudge } from './judge/client.ts';
import { startLayout } from './layout/controller.ts';
import { ReplayControllerContext } from './replay/context.ts';
import { startReplay } from './replay/controller.ts';
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

// Before anything reads the URL: a login URL's token is exchanged and leaves the address bar.
const boot = await bootSession(window);
const root = createRoot(document.getElementById('root')!);
if (boot.kind === 'out') {
  root.render(
    <StrictMode>
      <SignIn reason={boot.reason} />
    </StrictMode>,
  );
} else {
  // Order matters: the URL decides the host before the socket subscribes.
  startUrlSync(appStore, window);
  startLayout(appStore);
  const judge = startJudge(appStore);
  startLive(appStore, hubSocketUrl(window.location), judge);
  const replay = startReplay(appStore, judge);
  watchSession(appStore);
  root.render(
    <StrictMode>
      <ReplayControllerContext.Provider value={replay}>
        <App />
      </ReplayControllerContext.Provider>
    </StrictMode>,
  );
}
