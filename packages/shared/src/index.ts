export * from './ids.ts';
export * from './protocol/index.ts';
