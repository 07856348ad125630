import { useEffect } from 'react';
import { appStore } from '../store/index.ts';
import { useReplayController } from './context.ts';

/** Keys in the legend's words; the Timeline lists them in its help title. */
export const REPLAY_KEYS = [
  ['Space', 'play / pause (from live: pause at now)'],
  ['← →', 'one sample back / forward'],
  ['Shift+← →', 'previous / next loss'],
  ['[ ]', 'slower / faster'],
  ['Home', 'start of the recording'],
  ['End', 'back to live'],
] as const;

/** Where a key belongs to something else: typing, a button's own Space, a map node's Enter/Space. */
function ownedElsewhere(e: KeyboardEvent): boolean {
  const el = e.target as HTMLElement | null;
  if (el === null) return false;
  if (el instanceof HTMLInputElement || el instanceof HTMLTextAreaElement || el instanceof HTMLSelectElement)
    return true;
  if (el.isContentEditable) return true;
  if (e.key === ' ' && el.closest('button, a, .react-flow__node') !== null) return true;
  return false;
}

export function useReplayKeys(): void {
  const c = useReplayController();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || ownedElsewhere(e)) return;
      const s = appStore.getState();
      switch (e.key) {
        case ' ':
          if (s.playhead === null) c?.step(-1);
          else s.togglePlay();
          break;
        case 'ArrowLeft':
        case 'ArrowRight': {
          const dir = e.key === 'ArrowLeft' ? -1 : 1;
          void (e.shiftKey ? c?.jumpLoss(dir) : c?.step(dir));
          break;
        }
        case '[':
          s.stepSpeed(-1);
          break;
        case ']':
          s.stepSpeed(1);
          break;
        case 'Home':
          if (s.replayRange !== null) {
            s.pause();
            s.seek(s.replayRange.start);
          }
          break;
        case 'End':
          s.goLive();
          break;
        default:
          return;
      }
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [c]);
}
