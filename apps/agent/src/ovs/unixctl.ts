/**
 * ovs-vswitchd's control socket speaks JSON-RPC (the protocol `ovs-appctl` uses: a request
 * `{"method": "dpctl/show", "params": [], "id": N}`, a reply whose `result` is the text appctl
 * would print). Asking over the socket ourselves costs no process: `ovs-appctl` is a C program
 * that links all of libopenvswitch, and spawning it twice every 5 s was most of what OVS cost
 * the agent (bench/ovs.ts).
 */
import { connect } from 'node:net';
import { decodeRpc, JsonSplitter } from './jsonrpc.ts';

/** A command's answer is a few KB; coverage/show of a busy vswitchd ~20 KB. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

export function unixctl(path: string, method: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    const splitter = new JsonSplitter(MAX_ANSWER_BYTES);
    const done = (err: Error | null, text = '') => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(text);
    };
    const timer = setTimeout(() => done(new Error(`${method}: no answer in ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify({ method, params: [], id: 1 })));
    sock.on('data', (chunk: string) => {
      const r = splitter.push(chunk);
      if (!r.ok) return done(new Error(`${method}: ${r.error}`));
      for (const text of r.messages) {
        const m = decodeRpc(text);
        if (m === null || m.id !== 1) continue;
        if (m.error !== null && m.error !== undefined)
          return done(new Error(`${method}: ${String(m.error)}`));
        return typeof m.result === 'string'
          ? done(null, m.result)
          : done(new Error(`${method}: no text in the answer`));
      }
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error(`${method}: closed before answering`)));
  });
}
