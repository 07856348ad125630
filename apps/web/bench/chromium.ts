/**
 * How the benches start Chromium (bench.ts, first.ts, profile.ts, shots.ts): one list, so a
 * figure from one bench means the same browser as a figure from another.
 */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Chromium 156's omnibox popup is a WebUI page of its own (the composebox and "AI mode": ~400 JS
 * modules, ~3 MB, in a renderer of its own) that every new window loads as it opens. Each bench
 * run opens a fresh context, a new window, so the popup loaded beside the page being measured,
 * on the same two cores, during the whole first render (profile.ts's trace: ~400 requests of
 * Chromium's own beside the app's 23). An operator's browser loaded it when its window opened, not
 * with each page. HOPWATCH_BENCH_CHROME_UI=1 keeps it, to compare with figures taken before.
 */
const NO_OMNIBOX_WEBUI = '--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  ...(process.env.HOPWATCH_BENCH_CHROME_UI === '1' ? [] : [NO_OMNIBOX_WEBUI]),
];
