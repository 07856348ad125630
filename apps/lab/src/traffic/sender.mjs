// The lab's UDP flood, run inside hwlab-up with `ip netns exec hwlab-up taskset -c 0 node sender.mjs`.
// Plain .mjs so it starts in ~40 ms without tsx: the rate is only honest if startup is not part
// of the measured window. Paced against the clock every --tick-ms (default 1 ms: rate/1000
// packets back to back each tick, like real traffic arriving in bursts); --tick-ms 0 spins on
// setImmediate for even spacing but burns a whole CPU (measured: 100 % of CPU 0 at 10 kpps vs
// ~17 % with 1 ms ticks), which starves the agent, the hub and the browser on a 2-CPU machine.
// Runs --seconds (0: until SIGTERM or stdin closes). --flows N spreads the packets over N
// sockets (N source ports: N conntrack entries, N flows for RPS hashing). --noise N adds N
// packets a second of background that is no loss: to a closed port of the same address
// (answered by ICMP port unreachable) and to a multicast group nobody joined.
// Prints one JSON line on exit: { sent, errors, elapsedMs, cpuMs }.
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    to: { type: 'string' },
    port: { type: 'string', default: '9000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    size: { type: 'string', default: '1472' },
    'tick-ms': { type: 'string', default: '1' },
    flows: { type: 'string', default: '1' },
    noise: { type: 'string', default: '0' },
  },
});
const flows = Math.max(1, Number(values.flows));
const noiseRate = Number(values.noise);
const rate = Number(values.rate);
const durationMs = Number(values.seconds) * 1000;
const port = Number(values.port);
const payload = Buffer.alloc(Number(values.size), 0x68);

const tickMs = Number(values['tick-ms']);
// A sender falling behind (descheduled) catches up with at most two ticks' worth at once.
const maxBurst = Math.max(32, Math.ceil((rate * tickMs * 2) / 1000));
const schedule = () => (tickMs > 0 ? setTimeout(tick, tickMs) : setImmediate(tick));
const sockets = Array.from({ length: flows }, () => dgram.createSocket('udp4'));
let sent = 0;
let errors = 0;
let start = performance.now();
let finished = false;

function finish() {
  if (finished) return;
  finished = true;
  const elapsedMs = Math.round(performance.now() - start);
  // stdout to a pipe is synchronous on Linux: the line is out before exit.
  const cpu = process.cpuUsage();
  const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  // `sent` paces the flood (refused sends are attempts too); what left is sent - errors.
  process.stdout.write(`${JSON.stringify({ sent: sent - errors, errors, elapsedMs, cpuMs })}\n`);
  process.exit(0);
}

function onSent(err) {
  if (err) errors++;
}

function tick() {
  if (finished) return;
  const now = performance.now() - start;
  if (durationMs > 0 && now >= durationMs) return finish();
  const due = Math.min(Math.floor((now * rate) / 1000) - sent, maxBurst);
  for (let i = 0; i < due; i++) {
    sent++;
    const socket = sockets[sent % flows];
    // A socket that could not connect (no route when the run began) sends to the address each
    // time, so the kernel's refusal is counted per packet (errors, Ip.OutNoRoutes) like a real app's.
    if (unconnected.has(socket)) socket.send(payload, port, values.to, onSent);
    else socket.send(payload, onSent);
  }
  if (noise) sendNoise(now);
  schedule();
}

process.on('SIGTERM', finish);
process.on('SIGINT', finish);
// The parent went away (crash, kill -9): stop rather than flood on unattended.
process.stdin.on('close', finish);
process.stdin.resume();
let noise = null;
let noiseSent = 0;
function sendNoise(now) {
  const due = Math.min(Math.floor((now * noiseRate) / 1000) - noiseSent, 32);
  for (let i = 0; i < due; i++) {
    noiseSent++;
    // Not counted in `sent`: the sink never sees it, and it is not the traffic asked about.
    if (noiseSent % 2 === 0) noise.send(payload.subarray(0, 64), port + 1, values.to, () => {});
    else noise.send(payload.subarray(0, 64), port, '239.255.72.87', () => {});
  }
}

// Connected: the kernel resolves the route once, and send() takes no address per packet.
let connected = 0;
const unconnected = new Set();
for (const socket of sockets) {
  socket.on('error', () => {});
  socket.connect(port, values.to, (err) => {
    if (err) unconnected.add(socket);
    if (++connected < flows) return;
    start = performance.now();
    if (noiseRate > 0) {
      noise = dgram.createSocket('udp4');
      noise.bind(0, () => {
        try {
          noise.setMulticastInterface(sockets[0].address().address);
        } catch {}
        noise.setMulticastTTL(1);
        setImmediate(tick);
      });
    } else setImmediate(tick);
  });
}
