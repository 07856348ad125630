import type { AgentOptions } from '../options.ts';

export interface AgentHandle {
  status(): 'connecting' | 'online' | 'offline' | 'error';
  stop(): Promise<void>;
}

export async function startAgent(
  _opts: AgentOptions & { hub: string; token?: string | null },
): Promise<AgentHandle> {
  throw new Error('startAgent: not implemented yet');
}
