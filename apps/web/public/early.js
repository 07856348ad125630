// Connection first, app after (issue 14, first render). A classic script in <head>: it runs before
// the app's bundle is fetched, compiled and evaluated, so the hub socket's handshake and the ~1 MB
// topology travel meanwhile (buffered as text, not parsed) instead of waiting behind the bundle
// and the first React render. The app adopts it: apps/web/src/connection/early.ts. Plain JS on
// purpose (not bundled): a module script would be merged into the app's one entry chunk.
(() => {
  const search = location.search;
  // A login URL's token becomes the session cookie later (bootSession): a socket opened now
  // would go without it and be refused when auth is on.
  if (/[?&]token=/.test(search)) return;
  const params = new URLSearchParams(search);
  const t = params.get('t');
  // Only a live view of a named host is subscribed here; the app sends anything else itself.
  const host = params.get('rec') === null && (t === null || t === 'live') ? params.get('host') : null;
  let ws;
  try {
    ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/ui`);
  } catch {
    return;
  }
  const early = { ws, frames: [], subscribed: null };
  ws.onmessage = (ev) => early.frames.push(String(ev.data));
  ws.onopen = () => {
    if (host === null || host === '') return;
    early.subscribed = [host];
    ws.send(JSON.stringify({ type: 'subscribe', hosts: [host] }));
  };
  window.__hopwatchEarly = early;
})();
