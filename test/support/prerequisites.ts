import { describe, it } from 'vitest';

/** True in CI (`CI=true`, as CI services set it): there a missing prerequisite fails the run. */
export const IN_CI = /^(true|1)$/i.test(process.env.CI ?? '');

/** Something a group of tests needs from the machine (a program, a browser, a privilege). */
export interface Prerequisite {
  /** What is missing, as a person would say it: `nginx`, `Chromium at /usr/bin/chromium`. */
  name: string;
  available: boolean;
  /** How to get it: `apt-get install -y nginx (.ci/run installs it)`. */
  install: string;
}

/** Thrown by the marker test in CI: the run must not pass while tests were left out. */
export class PrerequisiteMissingError extends Error {
  override readonly name = 'PrerequisiteMissingError';
  readonly code = 'test:prerequisite_missing';
}

/**
 * Returns true when `prerequisite` is missing, for `describe.skipIf(missing(...))`. It also
 * registers one marker test in the same place: with CI=true that test fails (naming what is
 * missing and how to install it), so CI never passes with tests silently skipped; outside CI
 * it is skipped with that note, which the skip-summary reporter prints at the end of the run.
 */
export function missing(prerequisite: Prerequisite): boolean {
  if (prerequisite.available) return false;
  const reason = `${prerequisite.name} is missing: ${prerequisite.install}`;
  describe(`prerequisite: ${prerequisite.name}`, () => {
    it(`${prerequisite.name} is available`, (context) => {
      if (IN_CI) throw new PrerequisiteMissingError(`${reason}. With CI=true a missing prerequisite fails instead of skipping.`);
      context.skip(reason);
    });
  });
  return true;
}
