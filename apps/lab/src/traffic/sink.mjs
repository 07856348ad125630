// The far side of the lab's flood: a UDP socket that counts what arrives, so the flood is
// delivered (not a NO_SOCKET drop plus an ICMP port-unreachable storm). Prints `ready` when
// bound, and one JSON line { received } when told to stop (SIGTERM/SIGINT) or stdin closes.
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { addr: { type: 'string' }, port: { type: 'string', default: '9000' } },
});
const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 * 1024 * 1024 });
let received = 0;
let done = false;
socket.on('message', () => {
  received++;
});
function finish() {
  if (done) return;
  done = true;
  process.stdout.write(`${JSON.stringify({ received })}\n`);
  process.exit(0);
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
process.stdin.on('close', finish);
process.stdin.resume();
socket.bind(Number(values.port), values.addr, () => {
  process.stdout.write('ready\n');
});
