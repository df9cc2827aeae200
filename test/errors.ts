// Catching the LmmError that bad input must give, for the tests of error
// messages: each fails the test when there is no error or another kind of one.
import { expect } from "vitest";
import { LmmError } from "../src/index.js";

/** The LmmError a promise rejects with; fails the test if it resolves or rejects with something else. */
export async function rejection(p: Promise<unknown>): Promise<LmmError> {
  try {
    await p;
  } catch (e) {
    expect(e, `expected an LmmError, got ${String(e)}`).toBeInstanceOf(LmmError);
    return e as LmmError;
  }
  throw new Error("expected the promise to reject");
}

/** The LmmError a call throws synchronously. */
export function thrown(f: () => unknown): LmmError {
  try {
    f();
  } catch (e) {
    expect(e, `expected an LmmError, got ${String(e)}`).toBeInstanceOf(LmmError);
    return e as LmmError;
  }
  throw new Error("expected the call to throw");
}

/**
 * A command's error report: exit 2, nothing on out, one `lmm: ` message (matching
 * `message` when given) and no stack trace.
 */
export function expectUserError(r: { code: number; out: string; err: string }, message?: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.out).toBe("");
  expect(r.err.startsWith("lmm: ")).toBe(true);
  expect(r.err).not.toContain("    at ");
  expect(r.err).not.toMatch(/internal error/);
  expect(r.err.match(/lmm: /g)).toHaveLength(1);
  if (message) expect(r.err).toMatch(message);
}
