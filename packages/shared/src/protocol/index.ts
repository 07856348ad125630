export * from './decode.ts';
export * from './diagnosis.ts';
export * from './messages.ts';
export * from './model.ts';
