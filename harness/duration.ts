// The one duration grammar of regress: a number with a unit, as the `ms` library reads it (250ms, 10s, 1.5m,
// 2h, "5 minutes"). Every duration a user writes goes through it: the CLI's options (cli/duration.ts) and the
// fault vocabulary's arguments (`delay:10s`, fixtures/faults/parse.ts). A unit is required: `ms` reads a
// bare number as milliseconds while a reader of `--timeout 10` or `delay:10` means seconds, so a bare number
// is refused rather than guessed.
import ms from 'ms';

export const DURATION_SYNTAX = 'a number with a unit, e.g. 250ms, 10s, 1.5m, 2h';

/** `text` in milliseconds (finite, not negative), or undefined when it is not a duration with a unit. */
export function readDuration(text: string): number | undefined {
  const trimmed = text.trim();
  const value = /\d\s*[a-z]+$/i.test(trimmed) ? ms(trimmed as ms.StringValue) : undefined;
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}
