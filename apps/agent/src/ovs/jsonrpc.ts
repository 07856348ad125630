/**
 * OVSDB's wire (RFC 7047 §4): JSON-RPC 1.0 objects written back to back on the stream, with no
 * length prefix and no delimiter. The splitter finds where each top-level value ends by tracking
 * nesting and strings, and hands complete texts on; a message longer than the cap ends the
 * connection instead of growing the buffer (a database full of hostile port names is still just
 * data, but it must not take the agent's memory with it).
 */

/** A monitor reply of a big node (thousands of ports with statistics) is a few MB; far above that is wrong. */
export const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;

export type SplitResult = { ok: true; messages: string[] } | { ok: false; error: string };

export class JsonSplitter {
  /** The unfinished message's earlier chunks (joined only when it completes: no re-copy per chunk) and their length. */
  private parts: string[] = [];
  private partsLength = 0;
  /** The scanner's state where the last chunk ended. */
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxBytes = MAX_MESSAGE_BYTES) {}

  push(chunk: string): SplitResult {
    const messages: string[] = [];
    // Where the message being read starts in this chunk: 0 when it began in an earlier one.
    let start = this.depth > 0 ? 0 : -1;
    for (let pos = 0; pos < chunk.length; pos++) {
      const c = chunk.charCodeAt(pos);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
        continue;
      }
      // A string only inside a value: a quote between messages is data outside a JSON object.
      if (c === 0x22 && this.depth > 0) this.inString = true;
      else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (this.depth === 0) start = pos;
        this.depth++;
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        this.depth--;
        if (this.depth < 0) return this.fail('unbalanced JSON');
        if (this.depth === 0) {
          const tail = chunk.slice(start, pos + 1);
          messages.push(this.parts.length === 0 ? tail : this.parts.join('') + tail);
          this.parts = [];
          this.partsLength = 0;
          start = -1;
        }
      } else if (this.depth === 0 && c > 0x20) return this.fail('data outside a JSON object');
    }
    // Keep only the unfinished message.
    if (this.depth > 0) {
      const rest = chunk.slice(start);
      this.parts.push(rest);
      this.partsLength += rest.length;
      if (this.partsLength > this.maxBytes) return this.fail(`a message over ${this.maxBytes} bytes`);
    }
    return { ok: true, messages };
  }

  private fail(error: string): SplitResult {
    this.parts = [];
    this.partsLength = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    return { ok: false, error };
  }
}

export interface RpcMessage {
  id: unknown;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** One message as a JSON-RPC object, or null when it is not one (counted by the caller, never thrown). */
export function decodeRpc(text: string): RpcMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !('id' in v)) return null;
  const o = v as Record<string, unknown>;
  if (o.method !== undefined && typeof o.method !== 'string') return null;
  return o as unknown as RpcMessage;
}
