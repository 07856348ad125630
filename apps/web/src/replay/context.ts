import { createContext, useContext } from 'react';
import type { ReplayController } from './controller.ts';

/**
 * The running replay controller for the timeline's buttons and keys, handed down by main.tsx
 * (no module-level singleton: a test renders with its own, or none).
 */
export const ReplayControllerContext = createContext<ReplayController | null>(null);

export const useReplayController = (): ReplayController | null => useContext(ReplayControllerContext);
