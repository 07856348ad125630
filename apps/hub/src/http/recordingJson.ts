/**
 * The recording route's answer as JSON text, the very text `JSON.stringify` gives for it, with each
 * topology's text kept per topology object instead of made again per request (issue 12: a seek of
 * a 1000-interface host spent part of its time stringifying the same ~0.5 MB topology on every
 * request). A topology version is immutable once recorded, and every backend hands out the same
 * object for a version while it keeps it (the fleet's read cache, the owner's latest, SQLite's
 * latest), so the object is the key; a WeakMap lets the text go with the object.
 *
 * Everything else is written by JSON.stringify, key by key in the object's own order, so extra
 * keys a backend puts on a version (the owner's digest) appear exactly as res.json wrote them.
 */
const topologyText = new WeakMap<object, string>();

function valueJson(v: unknown): string | undefined {
  return JSON.stringify(v);
}

function topologyJson(v: unknown): string | undefined {
  // A value with toJSON would be written by it: leave such (never a recorded topology) to JSON.stringify.
  if (typeof v !== 'object' || v === null || 'toJSON' in v) return JSON.stringify(v);
  let text = topologyText.get(v);
  if (text === undefined) {
    text = JSON.stringify(v);
    topologyText.set(v, text);
  }
  return text;
}

/** `{…}` as JSON.stringify writes a plain object: own enumerable string keys, undefined ones left out. */
function objectJson(o: object, write: (key: string, v: unknown) => string | undefined): string {
  let out = '';
  for (const [k, v] of Object.entries(o)) {
    const text = write(k, v);
    if (text === undefined) continue;
    out += `${out === '' ? '' : ','}${JSON.stringify(k)}:${text}`;
  }
  return `{${out}}`;
}

function plain(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !('toJSON' in v);
}

function versionJson(v: unknown): string {
  if (!plain(v)) return JSON.stringify(v) ?? 'null';
  return objectJson(v, (k, x) => (k === 'topology' ? topologyJson(x) : valueJson(x)));
}

function versionsJson(list: unknown): string | undefined {
  if (!Array.isArray(list)) return JSON.stringify(list);
  return `[${list.map(versionJson).join(',')}]`;
}

/** JSON.stringify(answer) for GET /api/hosts/:host/recording, its topologies' text reused. */
export function recordingJson(answer: object): string {
  if (!plain(answer)) return JSON.stringify(answer);
  return objectJson(answer, (k, v) => (k === 'topologies' ? versionsJson(v) : valueJson(v)));
}
