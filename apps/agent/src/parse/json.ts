/**
 * Readers for JSON printed by iproute2. Its output is trusted to be JSON but not trusted to have
 * every field on every kernel and iproute2 version, so fields are read with a type check each
 * and a missing or odd field becomes null instead of a crash.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export function str(o: JsonObject | null | undefined, key: string): string | null {
  const v = o?.[key];
  return typeof v === 'string' ? v : null;
}
export function num(o: JsonObject | null | undefined, key: string): number | null {
  const v = o?.[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
export function obj(o: JsonObject | null | undefined, key: string): JsonObject | null {
  const v = o?.[key];
  return isObject(v) ? v : null;
}
export function arr(o: JsonObject | null | undefined, key: string): Json[] {
  const v = o?.[key];
  return Array.isArray(v) ? v : [];
}

/**
 * `ip -j -b -` prints one JSON document per batch command, back to back. Split them by
 * tracking bracket depth outside strings (a name could contain a bracket), then parse each.
 * Unparsable documents come back as null so one bad command does not lose the others.
 */
export function splitJsonDocuments(text: string): (Json | null)[] {
  return splitJsonTexts(text).map(parseOrNull);
}

/** The same split, each document's text unparsed (for a caller that can salvage a bad one). */
export function splitJsonTexts(text: string): string[] {
  const docs: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0 && start >= 0) {
        docs.push(text.slice(start, i + 1));
        start = -1;
      }
    }
  }
  return docs;
}

/**
 * iproute2's JSON writer escapes `"`, `\\` and \t\n\r\f\b but prints every other control
 * character raw, which JSON forbids: an interface called `a\x1bb` (Linux allows it) would make
 * the whole document unparsable. Such a character can only sit inside a string, so on a failed
 * parse they are escaped and the parse tried once more.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly what must be escaped
const RAW_CONTROL = /[\u0000-\u0008\u000b\u000e-\u001f]/g;

export function parseOrNull(text: string): Json | null {
  try {
    return JSON.parse(text) as Json;
  } catch {
    try {
      return JSON.parse(
        text.replace(RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
      ) as Json;
    } catch {
      return null;
    }
  }
}
