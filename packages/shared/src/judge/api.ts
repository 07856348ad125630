/**
 * The judgement's public API (the hub, the web app and the CLI code against these names):
 * path finding, window merging, loss localisation and the diagnosis that composes them.
 */
export { closestIfaces, type ResolveResult, resolveIface } from './closest.ts';
export { type DiagnoseInput, diagnose } from './diagnose.ts';
export { compareFindings, type Judgement, judgeWindow, LOSS_MIN_DROPS, localize } from './localize.ts';
export { findPath, type PathResult } from './path.ts';
export { mergeSamples } from './window.ts';
