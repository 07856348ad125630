/**
 * Which components rendered in React's commits, by name: a stand-in for React DevTools' hook,
 * installed before react-dom loads (import this module first). React calls the hook after every
 * commit; a component rendered in that commit carries the PerformedWork flag and is not the same
 * fiber object as in the tree before (an untouched subtree keeps its old fibers, old flags and all).
 */
interface Fiber {
  type: unknown;
  flags: number;
  child: Fiber | null;
  sibling: Fiber | null;
}

const PERFORMED_WORK = 1;
const counts = new Map<string, number>();
let previous = new Set<Fiber>();

function nameOf(f: Fiber): string | null {
  const t = f.type;
  if (typeof t === 'function') {
    const fn = t as { displayName?: string; name?: string };
    return fn.displayName ?? fn.name ?? null;
  }
  // memo(): the wrapped component is rendered as a fiber of its own (or is this one, simple memo).
  if (t !== null && typeof t === 'object') {
    const o = t as {
      type?: { displayName?: string; name?: string };
      render?: { displayName?: string; name?: string };
    };
    const inner = o.type ?? o.render;
    return inner?.displayName ?? inner?.name ?? null;
  }
  return null;
}

function walk(root: Fiber, seen: Set<Fiber>): void {
  const stack: Fiber[] = [];
  for (let c = root.child; c !== null; c = c.sibling) stack.push(c);
  while (stack.length > 0) {
    const f = stack.pop()!;
    seen.add(f);
    const name = nameOf(f);
    if (name !== null && (f.flags & PERFORMED_WORK) !== 0 && !previous.has(f))
      counts.set(name, (counts.get(name) ?? 0) + 1);
    for (let c = f.child; c !== null; c = c.sibling) stack.push(c);
  }
}

(globalThis as unknown as { __REACT_DEVTOOLS_GLOBAL_HOOK__: unknown }).__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
  supportsFiber: true,
  renderers: new Map(),
  inject: () => 1,
  checkDCE: () => {},
  onCommitFiberRoot: (_id: number, root: { current: Fiber }) => {
    const seen = new Set<Fiber>();
    walk(root.current, seen);
    previous = seen;
  },
  onCommitFiberUnmount: () => {},
  onPostCommitFiberRoot: () => {},
  onScheduleFiberRoot: () => {},
  setStrictMode: () => {},
};

/** Component names rendered since the last call, with counts (and the count starts again). */
export function takeRenders(): Map<string, number> {
  const out = new Map(counts);
  counts.clear();
  return out;
}
