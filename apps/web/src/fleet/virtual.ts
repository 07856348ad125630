/**
 * Which rows of a fixed-height list to render: the ones in the viewport plus `overscan` on either
 * side. A thousand hosts are a thousand rows of text; rendering only ~40 keeps the 2 s host-list
 * update cheap however large the fleet.
 */
export function visibleRange(
  scrollTop: number,
  viewportPx: number,
  rowPx: number,
  count: number,
  overscan = 8,
): { start: number; end: number } {
  if (count === 0 || rowPx <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowPx);
  const shown = Math.ceil(Math.max(0, viewportPx) / rowPx) + 1;
  const start = Math.max(0, Math.min(count - 1, first) - overscan);
  const end = Math.min(count, first + shown + overscan);
  return { start, end: Math.max(start, end) };
}
