import type { Command } from '../command.ts';

export const labCommand: Command = {
  name: 'lab',
  summary: 'not implemented yet',
  help: 'hopwatch lab: not implemented yet',
  async run() {
    console.error('hopwatch lab: not implemented yet');
    return 1;
  },
};
