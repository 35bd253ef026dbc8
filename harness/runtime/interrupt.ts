// The orderly stop on Ctrl-C or SIGTERM, one for every long command (runSession, soak): the first signal
// says so on stderr and calls stop(); a second Ctrl-C quits at once (exit 130); a second SIGTERM changes
// nothing, the stop is under way.
//
// Listening (not once) until disposed: signal-exit (execa's) re-raises a signal it
// believes nobody else handles. After a `once` listener had fired it killed the harness mid-report whenever
// a results.json write was in flight (3 orphaned runs in 8 on a loaded machine lost their report).
export function onInterrupt(stopping: string, stop: () => void): () => void {
  let stopped = false;
  const listener = (signal: NodeJS.Signals): void => {
    if (stopped) {
      if (signal === 'SIGINT') process.exit(130);
      return;
    }
    stopped = true;
    process.stderr.write(`\nregress: interrupted; ${stopping} (Ctrl-C again to quit now)\n`);
    stop();
  };
  process.on('SIGINT', listener);
  process.on('SIGTERM', listener);
  return () => {
    process.off('SIGINT', listener);
    process.off('SIGTERM', listener);
  };
}
