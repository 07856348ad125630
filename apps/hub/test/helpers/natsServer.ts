import { NatsCluster, natsServerPath } from './natsCluster.ts';

/**
 * One nats-server for a unit test file, or null (the file skips, saying why). Under CI a missing
 * server is a failure: scripts/ensure-deps.sh installs it, so its absence is a broken machine.
 */
export function natsAvailable(file: string): boolean {
  const path = natsServerPath();
  if (path === null && process.env.CI)
    throw new Error('nats-server not found; scripts/ensure-deps.sh installs it');
  if (path === null) console.log(`${file} skipped: nats-server is not installed (scripts/ensure-deps.sh)`);
  return path !== null;
}

export const startNatsServer = (): Promise<NatsCluster> => NatsCluster.start(1);
