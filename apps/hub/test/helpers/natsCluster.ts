import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** nats-server on PATH (scripts/ensure-deps.sh installs Debian's), or null. */
export function natsServerPath(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/**
 * `n` distinct free ports, held open together while they are picked: picked one at a time, the
 * kernel may hand out the same port twice (a route port equal to a client port: one node fails).
 */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface NatsNode {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess | null;
}

/**
 * A JetStream cluster of `size` nats-servers on 127.0.0.1: own client and route ports, store
 * directories under one temporary directory, each server started and stopped by its pid (kill
 * -9 of one node is a test step; stop() ends the rest and removes the directory, also after a
 * failure). size 1: a single server, no cluster block.
 */
export class NatsCluster {
  readonly nodes: NatsNode[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'hopwatch-nats-'));
  private routes: number[] = [];

  static async start(size = 3): Promise<NatsCluster> {
    const c = new NatsCluster();
    try {
      const ports = await freePorts(2 * size);
      c.routes = ports.slice(size);
      for (const [i, port] of ports.slice(0, size).entries())
        c.nodes.push({ name: `n${i + 1}`, port, url: `nats://127.0.0.1:${port}`, proc: null });
      for (let i = 0; i < size; i++) c.run(i);
      await c.ready();
    } catch (e) {
      await c.stop();
      throw e;
    }
    return c;
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  private config(i: number): string {
    const n = this.nodes[i]!;
    const store = join(this.dir, n.name);
    mkdirSync(store, { recursive: true });
    const lines = [
      `server_name: ${n.name}`,
      `listen: 127.0.0.1:${n.port}`,
      `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 2GB }`,
    ];
    if (this.nodes.length > 1)
      lines.push(
        `cluster { name: hwtest, listen: 127.0.0.1:${this.routes[i]}, routes: [${this.routes
          .filter((_, j) => j !== i)
          .map((p) => `nats-route://127.0.0.1:${p}`)
          .join(', ')}] }`,
      );
    const file = join(this.dir, `${n.name}.conf`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  /** Starts (or restarts) node i. */
  run(i: number): void {
    const n = this.nodes[i]!;
    n.proc = spawn('nats-server', ['-c', this.config(i)], { stdio: 'ignore' });
  }

  /** Every node answers its monitoring-free health: a TCP connect and an INFO line. */
  private async ready(timeoutMs = 20_000): Promise<void> {
    const { connect } = await import('@nats-io/transport-node');
    const deadline = Date.now() + timeoutMs;
    for (const n of this.nodes) {
      for (;;) {
        try {
          const nc = await connect({ servers: n.url, timeout: 1000 });
          await nc.close();
          break;
        } catch (e) {
          if (Date.now() > deadline)
            throw new Error(`nats-server ${n.name} did not start: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  }

  /** kill -9 of node i (by pid): no goodbye to its peers or clients. */
  kill9(i: number): void {
    const p = this.nodes[i]?.proc;
    if (p?.pid !== undefined && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.nodes.map(async (n) => {
        const p = n.proc;
        if (!p || p.pid === undefined || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise((r) => p.once('exit', r));
        process.kill(p.pid, 'SIGTERM');
        const t = setTimeout(() => p.pid !== undefined && process.kill(p.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
