// Phase timings on stderr, for locating a stall outside the cases (`--verbose` or REGRESS_DEBUG=1): each
// line says how long after the process started a phase was reached, so a gap between two lines is where
// the time went. Off by default: one environment check per call.

let enabled = process.env.REGRESS_DEBUG === '1';

export function enablePhaseLog(on = true): void {
  enabled = on;
}

export function phaseLogEnabled(): boolean {
  return enabled;
}

/** `[regress +1.234 s] name: detail`, measured from the process's start (performance.now()). */
export function phase(name: string, detail = ''): void {
  if (!enabled) return;
  const at = (performance.now() / 1000).toFixed(3);
  process.stderr.write(`[regress +${at} s] ${name}${detail ? `: ${detail}` : ''}\n`);
}
