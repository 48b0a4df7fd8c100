import { DevgenError } from "../../src/util/diagnostics.js";

/** The DevgenError `fn` throws; any other outcome fails the test. */
export function caught(fn: () => unknown): DevgenError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DevgenError) return err;
    throw err;
  }
  throw new Error("expected a DevgenError");
}
