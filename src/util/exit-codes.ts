/** The CLI's exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  testFailure: 1,
  usage: 2,
  environment: 3,
} as const;
