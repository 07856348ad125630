/**
 * Connection first, app after (issue 14, first render): apps/web/public/early.js, a classic script
 * in index.html's head, opens and subscribes the hub socket before the bundle is even fetched and
 * leaves it here. HubSocket adopts it on its first connect (takeEarlySocket) and replays the frames
 * it buffered, so the topology is usually in hand by the first React render.
 */
export interface EarlySocket {
  ws: WebSocket;
  /** Frames received before HubSocket took over, in order, undecoded. */
  frames: string[];
  /** The hosts already subscribed on this socket (null: nothing sent yet). */
  subscribed: string[] | null;
}

declare global {
  interface Window {
    __hopwatchEarly?: EarlySocket | undefined;
  }
}

export function hubSocketUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws/ui`;
}

/** Hands the early socket over once (later connects open their own); null when none is usable. */
export function takeEarlySocket(win: Window = window): EarlySocket | null {
  const e = win.__hopwatchEarly ?? null;
  win.__hopwatchEarly = undefined;
  // Closed or closing: HubSocket's own connect (with its backoff) does better than a dead socket.
  if (e === null || e.ws.readyState > 1) return null;
  e.ws.onmessage = null;
  e.ws.onopen = null;
  return e;
}

/** Sign-in page instead of the app: the early socket has no use. */
export function dropEarlySocket(win: Window = window): void {
  win.__hopwatchEarly?.ws.close(1000, 'bye');
  win.__hopwatchEarly = undefined;
}
