/**
 * The agent's one connection to OVSDB (RFC 7047 JSON-RPC over `unix:PATH` or `tcp:HOST:PORT`):
 * one `monitor` of Open_vSwitch, Bridge, Port and Interface, then incremental `update`s into
 * tables of rows — not a process per question. Answers the server's `echo` (ovsdb-server drops a
 * client that does not) and sends its own when the line has been quiet, to notice a server that
 * went away without closing. On loss: say it once, reconnect with backoff; the kernel view of the
 * collector never waits for this.
 */
import { connect, type Socket } from 'node:net';
import { backoffDelay } from '../stream/backoff.ts';
import type { LogFn } from '../util/log.ts';
import { decodeRpc, JsonSplitter, type RpcMessage } from './jsonrpc.ts';
import { applyUpdates, emptyTables, MONITORED, type OvsView, type Tables, viewOf } from './rows.ts';

export const DEFAULT_OVSDB = 'unix:/var/run/openvswitch/db.sock';
/** Quiet this long → we send an echo; no answer within the same again → the connection is dead. */
const ECHO_IDLE_MS = 15_000;
/** A connect or a monitor reply that takes longer than this is a server not worth waiting for. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Bad frames tolerated before the connection is dropped and made again (a clean start). */
const MAX_BAD_MESSAGES = 10;

export type OvsdbStatus = 'connecting' | 'online' | 'offline';

export type OvsdbTarget = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/** `unix:PATH` or `tcp:HOST:PORT` (ovs-vsctl's --db syntax), or an error in words. */
export function parseOvsdbTarget(s: string): OvsdbTarget | string {
  if (s.startsWith('unix:') && s.length > 5) return { kind: 'unix', path: s.slice(5) };
  const m = /^tcp:(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  if (m) {
    const port = Number(m[2]);
    if (port >= 1 && port <= 65535) return { kind: 'tcp', host: m[1]!.replace(/^\[|\]$/g, ''), port };
  }
  return `--ovsdb must be unix:PATH or tcp:HOST:PORT, got "${s}"`;
}

export const targetText = (t: OvsdbTarget) =>
  t.kind === 'unix' ? `unix:${t.path}` : `tcp:${t.host}:${t.port}`;

export class OvsdbClient {
  private socket: Socket | null = null;
  private tables: Tables = emptyTables();
  private view: OvsView | null = null;
  private version = 0;
  private status: OvsdbStatus = 'connecting';
  private detail: string | null = null;
  private attempt = 0;
  private retry: NodeJS.Timeout | null = null;
  private idle: NodeJS.Timeout | null = null;
  private nextId = 1;
  private monitorId = 0;
  private echoPending = false;
  private bad = 0;
  private closed = false;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly target: OvsdbTarget,
    private readonly log: LogFn,
  ) {}

  start(): void {
    this.open();
  }

  /** The tree as last seen; null before the first monitor reply. Kept while offline (stale but useful). */
  current(): OvsView | null {
    return this.view;
  }

  /** Increments whenever the data changed. */
  get dataVersion(): number {
    return this.version;
  }

  get state(): { status: OvsdbStatus; detail: string | null } {
    return { status: this.status, detail: this.detail };
  }

  /** Called after every applied change; returns its own unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.idle) clearTimeout(this.idle);
    this.socket?.destroy();
    this.socket = null;
  }

  private open(): void {
    if (this.closed) return;
    const t = this.target;
    const sock = t.kind === 'unix' ? connect(t.path) : connect(t.port, t.host);
    this.socket = sock;
    const splitter = new JsonSplitter();
    sock.setEncoding('utf8');
    sock.setTimeout(CONNECT_TIMEOUT_MS, () => this.lost(sock, 'no answer'));
    sock.on('connect', () => {
      sock.setTimeout(0);
      this.monitorId = this.nextId++;
      this.send({ method: 'monitor', id: this.monitorId, params: ['Open_vSwitch', null, monitorRequests()] });
      this.armIdle();
    });
    sock.on('data', (chunk: string) => {
      this.armIdle();
      const r = splitter.push(chunk);
      if (!r.ok) {
        this.lost(sock, r.error);
        return;
      }
      for (const text of r.messages) this.handle(sock, text);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => this.lost(sock, e.code ?? e.message));
    sock.on('close', () => this.lost(sock, 'closed by the server'));
  }

  private handle(sock: Socket, text: string): void {
    const m = decodeRpc(text);
    if (m === null) {
      if (++this.bad > MAX_BAD_MESSAGES) this.lost(sock, 'too many messages that are not JSON-RPC');
      return;
    }
    if (m.method === 'echo') {
      this.send({ id: m.id, result: Array.isArray(m.params) ? m.params : [], error: null });
      return;
    }
    if (m.method === 'update') {
      const params = Array.isArray(m.params) ? m.params : [];
      if (applyUpdates(this.tables, params[1])) this.changed();
      return;
    }
    if (m.id === this.monitorId) {
      this.onMonitorReply(sock, m);
      return;
    }
    // Our echo's answer (or any other reply): the line is alive.
    this.echoPending = false;
  }

  private onMonitorReply(sock: Socket, m: RpcMessage): void {
    if (m.error !== null && m.error !== undefined) {
      this.lost(sock, `monitor refused: ${JSON.stringify(m.error).slice(0, 200)}`);
      return;
    }
    this.tables = emptyTables();
    applyUpdates(this.tables, m.result);
    if (this.status !== 'online' && this.attempt > 0)
      this.log('info', `Open vSwitch database at ${targetText(this.target)} is back`);
    this.status = 'online';
    this.detail = null;
    this.attempt = 0;
    this.changed();
  }

  private changed(): void {
    this.view = viewOf(this.tables);
    this.version++;
    for (const fn of this.listeners) fn();
  }

  private send(msg: object): void {
    this.socket?.write(JSON.stringify(msg));
  }

  private armIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      const sock = this.socket;
      if (!sock) return;
      if (this.echoPending) {
        this.lost(sock, `no answer to echo in ${ECHO_IDLE_MS / 1000} s`);
        return;
      }
      this.echoPending = true;
      this.send({ method: 'echo', id: `echo-${this.nextId++}`, params: [] });
      this.armIdle();
    }, ECHO_IDLE_MS);
    this.idle.unref();
  }

  /** Once per connection: say it (only when it changes the status), forget the socket, retry later. */
  private lost(sock: Socket, why: string): void {
    if (sock !== this.socket) return;
    this.socket = null;
    sock.destroy();
    if (this.idle) clearTimeout(this.idle);
    this.echoPending = false;
    this.bad = 0;
    if (this.closed) return;
    if (this.status !== 'offline') {
      this.log(
        'warn',
        `Open vSwitch database at ${targetText(this.target)}: ${why}; the kernel view goes on, reconnecting`,
      );
    }
    this.status = 'offline';
    this.detail = why;
    this.retry = setTimeout(() => this.open(), backoffDelay(this.attempt++));
    this.retry.unref();
  }
}

function monitorRequests(): Record<string, { columns: readonly string[] }> {
  return Object.fromEntries(Object.entries(MONITORED).map(([t, columns]) => [t, { columns }]));
}
