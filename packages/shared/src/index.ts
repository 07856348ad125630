export * from './ids.ts';
export * from './judge/index.ts';
export * from './protocol/index.ts';
export * from './text.ts';
