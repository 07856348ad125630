// The lab's UDP flood, run inside hwlab-up with `ip netns exec hwlab-up taskset -c 0 node sender.mjs`.
// Plain .mjs so it starts in ~40 ms without tsx: the rate is only honest if startup is not part
// of the measured window. Paced by a setImmediate loop against the clock (not a 1 ms timer),
// so packets leave evenly instead of in millisecond bursts; bursts are what the backlog fault
// is sensitive to, and evenly paced traffic makes its loss rate depend on the rate alone.
// Runs --seconds (0: until SIGTERM or stdin closes). Prints one JSON line on exit: { sent, errors, elapsedMs }.
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    to: { type: 'string' },
    port: { type: 'string', default: '9000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    size: { type: 'string', default: '1472' },
  },
});
const rate = Number(values.rate);
const durationMs = Number(values.seconds) * 1000;
const port = Number(values.port);
const payload = Buffer.alloc(Number(values.size), 0x68);
// A sender falling behind (descheduled) catches up with at most this many packets at once.
const MAX_CATCH_UP_PACKETS = 32;

const socket = dgram.createSocket('udp4');
let sent = 0;
let errors = 0;
let start = performance.now();
let finished = false;

function finish() {
  if (finished) return;
  finished = true;
  const elapsedMs = Math.round(performance.now() - start);
  // stdout to a pipe is synchronous on Linux: the line is out before exit.
  process.stdout.write(`${JSON.stringify({ sent, errors, elapsedMs })}\n`);
  process.exit(0);
}

function onSent(err) {
  if (err) {
    errors++;
    sent--;
  }
}

function tick() {
  if (finished) return;
  const now = performance.now() - start;
  if (durationMs > 0 && now >= durationMs) return finish();
  const due = Math.min(Math.floor((now * rate) / 1000) - sent, MAX_CATCH_UP_PACKETS);
  for (let i = 0; i < due; i++) {
    sent++;
    socket.send(payload, onSent);
  }
  setImmediate(tick);
}

process.on('SIGTERM', finish);
process.on('SIGINT', finish);
// The parent went away (crash, kill -9): stop rather than flood on unattended.
process.stdin.on('close', finish);
process.stdin.resume();
// Connected: the kernel resolves the route once, and send() takes no address per packet.
socket.connect(port, values.to, () => {
  start = performance.now();
  setImmediate(tick);
});
