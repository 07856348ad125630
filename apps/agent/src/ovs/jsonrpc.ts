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
  private buf = '';
  /** Where scanning resumes in `buf`, and the state there. */
  private pos = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private start = -1;

  constructor(private readonly maxBytes = MAX_MESSAGE_BYTES) {}

  push(chunk: string): SplitResult {
    this.buf += chunk;
    const messages: string[] = [];
    for (; this.pos < this.buf.length; this.pos++) {
      const c = this.buf.charCodeAt(this.pos);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
        if (this.depth === 0) this.start = this.pos;
        this.depth++;
      } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
        this.depth--;
        if (this.depth < 0) return this.fail('unbalanced JSON');
        if (this.depth === 0) {
          messages.push(this.buf.slice(this.start, this.pos + 1));
          this.start = -1;
        }
      } else if (this.depth === 0 && c > 0x20) return this.fail('data outside a JSON object');
    }
    // Keep only the unfinished message.
    if (this.depth === 0) {
      this.buf = '';
      this.pos = 0;
    } else if (this.start > 0) {
      this.buf = this.buf.slice(this.start);
      this.pos -= this.start;
      this.start = 0;
    }
    if (this.buf.length > this.maxBytes) return this.fail(`a message over ${this.maxBytes} bytes`);
    return { ok: true, messages };
  }

  private fail(error: string): SplitResult {
    this.buf = '';
    this.pos = 0;
    this.depth = 0;
    this.inString = false;
    this.escaped = false;
    this.start = -1;
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
