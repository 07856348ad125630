import type { Command } from '../command.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'not implemented yet',
  help: 'hopwatch start: not implemented yet',
  async run() {
    console.error('hopwatch start: not implemented yet');
    return 1;
  },
};
