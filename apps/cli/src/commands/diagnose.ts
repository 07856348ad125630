import { type Diagnosis, diagnose, printable, resolveIface, type Topology } from '@hopwatch/shared';
import {
  type Command,
  EXIT_LOSS,
  EXIT_OK,
  EXIT_USAGE,
  intOption,
  parseCommandArgs,
  UsageError,
} from '../command.ts';
import { sampleLive } from '../diagnose/live.ts';
import { renderDiagnosis } from '../diagnose/render.ts';
import { type Capture, CaptureError, readCapture, writeCapture } from '../diagnose/source.ts';

export const DEFAULT_SECONDS = 10;
const MAX_SECONDS = 3600;
export const DEFAULT_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 60_000;

const HELP = `hopwatch diagnose: sample this machine for a few seconds and say which hop loses packets and why.
No hub needed. Needs root to see other namespaces, tracefs drop reasons and every counter.

Usage:
  hopwatch diagnose [--from IF] [--to IF] [--seconds N] [--interval MS] [--json]
                    [--input FILE] [--save FILE]

  --from IF, --to IF   the path to judge: interface ids (NETNS/IFNAME, or IFNAME in the host
                       namespace; a bare name works when only one namespace has it). Without them,
                       every interface that did something is judged, worst first.
  --seconds N          length of the window (default ${DEFAULT_SECONDS})
  --interval MS        sampling interval inside the window (default ${DEFAULT_INTERVAL_MS})
  --json               print the diagnosis object (design.md: path, hops, findings) instead of text
  --input FILE         judge a saved capture ({"topology", "samples"} JSON) instead of sampling
  --save FILE          also write the capture to FILE (judge it again later with --input)
  --ovsdb DB           the Open vSwitch to read (unix:PATH or tcp:HOST:PORT; default the standard
                       socket where it exists), e.g. the OVS lab's unix:/run/hopwatch-lab/ovs/db.sock

Exit status: 0 nothing lost, 1 a loss finding exists, 2 usage error (an unknown interface too).

Example (the lab): hopwatch diagnose --from hwlab-up/wan0 --to hwlab-qrouter-a1/qg-a1`;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  seconds: { type: 'string' },
  interval: { type: 'string' },
  json: { type: 'boolean' },
  input: { type: 'string' },
  save: { type: 'string' },
  ovsdb: { type: 'string' },
} as const;

/** Unknown --from/--to: exit 2 with the closest names, before the whole window if the agent allows. */
function checkIfaces(topology: Topology, names: readonly (string | undefined)[]): string | null {
  const errors = names.flatMap((n) => {
    if (n === undefined) return [];
    const r = resolveIface(topology, n);
    return r.ok ? [] : [r.error];
  });
  return errors.length > 0 ? errors.join('\n') : null;
}

/** Progress only where a person watches: a TTY on stderr. Never on stdout (--json stays clean). */
function progress(seconds: number): { tick: (done: number, total: number) => void; done: () => void } {
  if (!process.stderr.isTTY) return { tick: () => {}, done: () => {} };
  const draw = (done: number, total: number) =>
    process.stderr.write(
      `\rhopwatch diagnose: sampling ${Math.round((seconds * done) / total)}/${seconds} s (Ctrl-C judges what is in) …`,
    );
  draw(0, 1);
  return { tick: draw, done: () => process.stderr.write('\r\x1b[K') };
}

async function capture(opts: {
  input: string | undefined;
  seconds: number;
  intervalMs: number;
  names: (string | undefined)[];
  ovsdb: string | undefined;
}): Promise<Capture> {
  if (opts.input !== undefined) return readCapture(opts.input);
  // Ctrl-C ends the window early and judges the samples taken so far.
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.once('SIGINT', interrupt);
  const bar = progress(opts.seconds);
  try {
    return await sampleLive({
      seconds: opts.seconds,
      intervalMs: opts.intervalMs,
      ...(opts.ovsdb !== undefined ? { ovsdb: opts.ovsdb } : {}),
      validate: (topology) => checkIfaces(topology, opts.names),
      onTick: bar.tick,
      signal: abort.signal,
    });
  } finally {
    bar.done();
    process.off('SIGINT', interrupt);
  }
}

export const diagnoseCommand: Command = {
  name: 'diagnose',
  summary: 'sample this machine for N seconds: the path, each hop’s status, the findings (no hub)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('diagnose', OPTIONS, argv);
    if (positionals.length > 0)
      throw new UsageError(`hopwatch diagnose: unexpected "${positionals.join(' ')}"`);
    const seconds = intOption('diagnose', 'seconds', values.seconds, 1, MAX_SECONDS) ?? DEFAULT_SECONDS;
    const intervalMs =
      intOption('diagnose', 'interval', values.interval, MIN_INTERVAL_MS, MAX_INTERVAL_MS) ??
      DEFAULT_INTERVAL_MS;
    if ((values.from === undefined) !== (values.to === undefined)) {
      throw new UsageError('hopwatch diagnose: give both --from and --to, or neither');
    }
    let data: Capture;
    try {
      data = await capture({
        input: values.input,
        seconds,
        intervalMs,
        names: [values.from, values.to],
        ovsdb: values.ovsdb,
      });
    } catch (e) {
      if (e instanceof CaptureError) {
        console.error(`hopwatch diagnose: ${printable(e.message)}`);
        return EXIT_USAGE;
      }
      throw e;
    }
    if (values.save !== undefined) writeCapture(values.save, data);
    const unknown = checkIfaces(data.topology, [values.from, values.to]);
    if (unknown !== null) {
      console.error(`hopwatch diagnose: ${unknown.split('\n').map(printable).join('\n')}`);
      return EXIT_USAGE;
    }
    const d: Diagnosis = diagnose({
      host: data.topology.host,
      topology: data.topology,
      samples: data.samples,
      from: values.from ?? null,
      to: values.to ?? null,
    });
    if (values.json) process.stdout.write(`${JSON.stringify(d, null, 2)}\n`);
    else console.log(renderDiagnosis(d, { color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR }));
    return d.findings.some((f) => f.severity === 'loss') ? EXIT_LOSS : EXIT_OK;
  },
};
