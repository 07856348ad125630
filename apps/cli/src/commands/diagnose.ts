import type { Command } from '../command.ts';

export const diagnoseCommand: Command = {
  name: 'diagnose',
  summary: 'not implemented yet',
  help: 'hopwatch diagnose: not implemented yet',
  async run() {
    console.error('hopwatch diagnose: not implemented yet');
    return 1;
  },
};
