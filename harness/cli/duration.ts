// Duration options (soak --duration, serve --idle-close/--keep-alive/--duration, smoke --timeout/
// --max-latency) in the one grammar of harness/duration.ts, as bad input naming the option.
import ms from 'ms';
import { DURATION_SYNTAX, readDuration } from '../duration.ts';
import { BadInput } from '../session.ts';

export { DURATION_SYNTAX };

export interface DurationLimits {
  /** Inclusive upper bound, in milliseconds. */
  maxMs?: number;
}

/** `text` as milliseconds (positive, finite), or bad input naming the option: one line, exit 2. */
export function parseDuration(option: string, text: string, limits: DurationLimits = {}): number {
  const value = readDuration(text);
  if (value === undefined || value <= 0) throw new BadInput(`${option} '${text}' is not a duration: ${DURATION_SYNTAX}`);
  if (limits.maxMs !== undefined && value > limits.maxMs) throw new BadInput(`${option} '${text}' is too long: at most ${ms(limits.maxMs, { long: true })}`);
  return value;
}

/** A commander argParser for a duration option: the value becomes milliseconds. */
export function durationArgument(option: string, limits: DurationLimits = {}): (text: string) => number {
  return (text) => parseDuration(option, text, limits);
}
