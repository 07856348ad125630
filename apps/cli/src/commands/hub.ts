import type { Command } from '../command.ts';

export const hubCommand: Command = {
  name: 'hub',
  summary: 'not implemented yet',
  help: 'hopwatch hub: not implemented yet',
  async run() {
    console.error('hopwatch hub: not implemented yet');
    return 1;
  },
};
