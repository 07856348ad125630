// UDP flooder for the integration tests: `node flood.mjs HOST PORT SECONDS`. Sends small
// datagrams as fast as one event loop can for SECONDS, then prints how many it sent.
import dgram from 'node:dgram';

const [host = '127.0.0.1', port = '9999', seconds = '2'] = process.argv.slice(2);
const socket = dgram.createSocket('udp4');
const payload = Buffer.alloc(64, 1);
const until = Date.now() + Number(seconds) * 1000;
const BURST = 256;
let sent = 0;

function burst() {
  for (let i = 0; i < BURST; i++) socket.send(payload, Number(port), host);
  sent += BURST;
  if (Date.now() < until) setImmediate(burst);
  else socket.close(() => console.log(JSON.stringify({ sent })));
}
burst();
