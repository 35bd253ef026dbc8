// How a family's releases are ordered and matched: PEP 440 for the Python families (@renovatebot/pep440, a
// port of Python's `packaging`), semver for the npm families (npm's own `semver`). Everything that sorts,
// filters or bisects releases asks the scheme of the family's runtime rather than assuming either.
import { compare as pepCompare, explain, satisfies as pepSatisfies, valid as pepValid, validRange as pepValidRange } from '@renovatebot/pep440';
import semver from 'semver';

export type Runtime = 'python' | 'npm';

export interface VersionScheme {
  valid(version: string): boolean;
  /** A range as the scheme writes it (`>=2.20.0` in both; npm also `^1.16.0`, `1.x`). */
  validRange(range: string): boolean;
  compare(a: string, b: string): number;
  satisfies(version: string, range: string): boolean;
  prerelease(version: string): boolean;
  /** `1.16` for 1.16.3: the series `tables` takes the newest of. */
  series(version: string): string;
}

const pep440: VersionScheme = {
  valid: (v) => pepValid(v) !== null,
  validRange: (r) => pepValidRange(r),
  compare: pepCompare,
  satisfies: pepSatisfies,
  prerelease: (v) => explain(v)?.is_prerelease ?? false,
  series: (v) => (explain(v)?.release ?? []).slice(0, 2).join('.'),
};

const npm: VersionScheme = {
  valid: (v) => semver.valid(v) !== null,
  validRange: (r) => semver.validRange(r) !== null,
  compare: (a, b) => semver.compare(a, b),
  // A range of one family's releases matches its prereleases too (`>=8.0.0` holds 8.1.0-rc.1).
  satisfies: (v, r) => semver.satisfies(v, r, { includePrerelease: true }),
  prerelease: (v) => (semver.prerelease(v)?.length ?? 0) > 0,
  series: (v) => {
    const parsed = semver.parse(v);
    return parsed ? `${parsed.major}.${parsed.minor}` : v;
  },
};

export function versionScheme(runtime: Runtime): VersionScheme {
  return runtime === 'npm' ? npm : pep440;
}
