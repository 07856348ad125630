import type { WebSocket } from 'ws';

/** RFC 6455 allows 123 bytes of close reason; `ws` throws on more. */
const MAX_CLOSE_REASON_BYTES = 123;
const ELLIPSIS = '…';

export function fitCloseReason(reason: string): string {
  const bytes = Buffer.from(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  // Cutting inside a multi-byte character decodes to U+FFFD: drop it before adding the ellipsis.
  const head = bytes.subarray(0, MAX_CLOSE_REASON_BYTES - Buffer.byteLength(ELLIPSIS)).toString('utf8');
  return head.replace(/\uFFFD+$/, '') + ELLIPSIS;
}

export function closeWith(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, fitCloseReason(reason));
}
