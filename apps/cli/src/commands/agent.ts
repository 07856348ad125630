import type { Command } from '../command.ts';

export const agentCommand: Command = {
  name: 'agent',
  summary: 'not implemented yet',
  help: 'hopwatch agent: not implemented yet',
  async run() {
    console.error('hopwatch agent: not implemented yet');
    return 1;
  },
};
