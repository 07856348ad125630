import { type RefCallback, useCallback } from 'react';
import { type AppState, appStore } from '../store/index.ts';

/**
 * An element whose content follows the store without React: numbers that change every second
 * (the timeline's clock, a node's rates) are written into it when their value moves, so a live
 * tick commits nothing (no render, no reconciliation, no effects) for a few characters of text.
 * `write` runs once when the element mounts and then on each change of `select`'s value
 * (Object.is); it sets only what it owns (text, a title, a width) and React renders the element
 * with no children of its own. `select` and `write` must be stable (module scope or useMemo).
 *
 * What changes the structure (a status, a drop count appearing) stays React's: a component
 * subscribes to that with useApp and renders.
 */
export function useLive<E extends HTMLElement, T>(
  select: (s: AppState) => T,
  write: (el: E, value: T) => void,
): RefCallback<E> {
  return useCallback(
    (el: E | null) => {
      if (el === null) return;
      write(el, select(appStore.getState()));
      return appStore.subscribe(select, (value) => write(el, value));
    },
    [select, write],
  );
}

/** Sets an element's text when it differs (a number that moved but formats the same is left alone). */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
