import type { Command } from '../command.ts';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'not implemented yet',
  help: 'hopwatch replay: not implemented yet',
  async run() {
    console.error('hopwatch replay: not implemented yet');
    return 1;
  },
};
