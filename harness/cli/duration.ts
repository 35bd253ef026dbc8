// The one grammar of every duration option (soak --duration, serve --idle-close/--keep-alive/--duration,
// smoke --timeout/--max-latency): a number with a unit, as the `ms` library reads it (250ms, 10s, 1.5m,
// 2h, "5 minutes"). A unit is required: `ms` reads a bare number as milliseconds while a reader of
// `--timeout 10` means seconds, so a bare number is refused rather than guessed.
import ms from 'ms';
import { BadInput } from '../session.ts';

export const DURATION_SYNTAX = 'a number with a unit, e.g. 250ms, 10s, 1.5m, 2h';

export interface DurationLimits {
  /** Inclusive upper bound, in milliseconds. */
  maxMs?: number;
}

/** `text` as milliseconds (positive, finite), or bad input naming the option: one line, exit 2. */
export function parseDuration(option: string, text: string, limits: DurationLimits = {}): number {
  const trimmed = text.trim();
  const value = /\d\s*[a-z]+$/i.test(trimmed) ? ms(trimmed as ms.StringValue) : undefined;
  if (value === undefined || !Number.isFinite(value) || value <= 0) throw new BadInput(`${option} '${text}' is not a duration: ${DURATION_SYNTAX}`);
  if (limits.maxMs !== undefined && value > limits.maxMs) throw new BadInput(`${option} '${text}' is too long: at most ${ms(limits.maxMs, { long: true })}`);
  return value;
}

/** A commander argParser for a duration option: the value becomes milliseconds. */
export function durationArgument(option: string, limits: DurationLimits = {}): (text: string) => number {
  return (text) => parseDuration(option, text, limits);
}
