/**
 * Resources that must not outlive the process (tracefs instances keep an armed tracepoint, ~5 %
 * of a busy drop path; holders keep namespaces alive). 'exit' covers normal ends and
 * process.exit(). SIGINT/SIGTERM would kill the process without 'exit', so we listen for them,
 * clean up, and — when nobody else handles the signal — re-raise it so the process still ends the
 * way the default handler would.
 */
const cleanups = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const fn of [...cleanups]) {
    try {
      fn();
    } catch {
      // cleanup must go on for the others
    }
  }
  cleanups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  runAll();
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

export function registerCleanup(fn: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}
