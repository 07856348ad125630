/**
 * The judgement: path finding, loss localisation and diagnosis rules. Pure functions over the
 * protocol's plain data, so the CLI, the hub and the browser give the same answer from the same
 * numbers and a recording replays to the findings it showed live.
 */
export * from './graph.ts';
export * from './api.ts';
