/** The hop one step along the path from the selection (from its start or end when none is on it). */
export function walkPath(
  s: { path: readonly string[] | null; sel: string | null },
  dir: 1 | -1,
): string | null {
  const { path, sel } = s;
  if (path === null || path.length === 0) return null;
  const at = sel === null ? -1 : path.indexOf(sel);
  if (at < 0) return dir === 1 ? path[0]! : path[path.length - 1]!;
  return path[at + dir] ?? null;
}
