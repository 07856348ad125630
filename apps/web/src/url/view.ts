import { decodeFleetFilter, encodeFleetFilter, type FleetFilter } from '../fleet/filter.ts';

/**
 * The URL is the view (design.md, Web contract): `?host=H&from=IF&to=IF&sel=IF&wf=1&t=live|ISO
 * &speed=N&cam=x,y,zoom` (`wf=1`: the packet waterfall under the path is open). Pure functions so the round trip is unit-tested and the same view opens in any
 * browser. Unknown or malformed parameters fall back to defaults instead of failing the page.
 */

export interface Camera {
  x: number;
  y: number;
  zoom: number;
}

export interface View {
  host: string | null;
  from: string | null;
  to: string | null;
  sel: string | null;
  /** 'live' or an ISO-8601 instant (replay position). */
  t: 'live' | string;
  /** Replay speed multiplier; meaningful only when t is not live. */
  speed: number;
  cam: Camera | null;
  /**
   * A named recording (replay/): `rec=ID&pos=SECONDS` instead of `t`, the position counted from
   * the recording's start. Optional so views without a recording stay as they were.
   */
  rec?: string | null;
  pos?: number | null;
  /** The packet waterfall under the path is open (`wf=1`); optional so older views stay as they were. */
  wf?: boolean;
  /** The fleet overview's filter (`q`, `status`, `agent`, `rule`: fleet/filter.ts); optional likewise. */
  fleet?: FleetFilter;
}

export const DEFAULT_VIEW: View = {
  host: null,
  from: null,
  to: null,
  sel: null,
  t: 'live',
  speed: 1,
  cam: null,
};

const SPEED_MIN = 0.25;
const SPEED_MAX = 64;
/** Zoom bounds match the canvas' minZoom/maxZoom so a pasted link cannot land off the scale. */
const ZOOM_MIN = 0.05;
const ZOOM_MAX = 4;

/** Ids may contain `/` and `:` (netns/ifname, host:id); leaving them unescaped keeps links readable. */
function encodeParam(value: string): string {
  return encodeURIComponent(value).replace(/%2F/gi, '/').replace(/%3A/gi, ':').replace(/%2C/gi, ',');
}

function text(params: URLSearchParams, key: string): string | null {
  const v = params.get(key);
  return v === null || v === '' ? null : v;
}

function decodeTime(raw: string | null): string {
  if (raw === null || raw === 'live') return 'live';
  const ms = Date.parse(raw);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'live';
}

function decodeSpeed(raw: string | null): number {
  const n = raw === null ? Number.NaN : Number(raw);
  if (!Number.isFinite(n) || n <= 0) return 1;
  return Math.min(SPEED_MAX, Math.max(SPEED_MIN, n));
}

function decodeCamera(raw: string | null): Camera | null {
  if (raw === null) return null;
  const parts = raw.split(',').map(Number);
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n))) return null;
  const [x, y, zoom] = parts as [number, number, number];
  if (zoom <= 0) return null;
  return { x, y, zoom: Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, zoom)) };
}

/** Camera in the URL: whole pixels and two decimals of zoom (enough to restore the same picture). */
export function roundCamera(cam: Camera): Camera {
  return { x: Math.round(cam.x), y: Math.round(cam.y), zoom: Math.round(cam.zoom * 100) / 100 };
}

/** Seconds from a recording's start, to the millisecond. */
function decodePos(raw: string | null): number {
  const n = raw === null ? Number.NaN : Number(raw);
  return Number.isFinite(n) ? Math.round(n * 1000) / 1000 : 0;
}

export function decodeView(search: string): View {
  const params = new URLSearchParams(search.startsWith('?') ? search.slice(1) : search);
  const rec = text(params, 'rec');
  const fleet = decodeFleetFilter(params);
  return {
    ...(fleet !== null ? { fleet } : {}),
    ...(rec !== null ? { rec, pos: decodePos(text(params, 'pos')) } : {}),
    ...(text(params, 'wf') === '1' ? { wf: true } : {}),
    host: text(params, 'host'),
    from: text(params, 'from'),
    to: text(params, 'to'),
    sel: text(params, 'sel'),
    t: decodeTime(text(params, 't')),
    speed: decodeSpeed(text(params, 'speed')),
    cam: decodeCamera(text(params, 'cam')),
  };
}

/** Query string (with leading `?`, or '' for the default view), keys in a fixed order. */
export function encodeView(view: View): string {
  const parts: string[] = [];
  const add = (key: string, value: string | null) => {
    if (value !== null && value !== '') parts.push(`${key}=${encodeParam(value)}`);
  };
  add('host', view.host);
  add('from', view.from);
  add('to', view.to);
  add('sel', view.sel);
  if (view.wf === true) add('wf', '1');
  const rec = view.rec ?? null;
  if (rec !== null) {
    add('rec', rec);
    add('pos', String(Math.round((view.pos ?? 0) * 1000) / 1000));
  } else if (view.host !== null || view.t !== 'live') add('t', view.t);
  if ((view.t !== 'live' || rec !== null) && view.speed !== 1) add('speed', String(view.speed));
  if (view.cam !== null) {
    const c = roundCamera(view.cam);
    add('cam', `${c.x},${c.y},${c.zoom}`);
  }
  // Only on the overview: a host's view is that host, whatever the list was filtered by.
  if (view.host === null) for (const [key, value] of encodeFleetFilter(view.fleet)) add(key, value);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

export function sameView(a: View, b: View): boolean {
  return encodeView(a) === encodeView(b);
}
