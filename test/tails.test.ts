// The chi-square and F upper tails behind the p-values of likelihood-ratio and
// type III tests: computed directly, not as 1 - cdf, so they keep their precision far out.
import { describe, expect, it } from "vitest";
import { chisqUpper, fUpper } from "../src/inference/tails.js";

describe("upper tails keep their precision far out", () => {
  it("matches closed forms and R where 1 - cdf would round to 0", () => {
    expect(chisqUpper(80, 2) / Math.exp(-40) - 1).toBeLessThan(1e-12);
    expect(chisqUpper(5.02921016501631, 1)).toBeCloseTo(0.0249232619965758, 14);
    // pf(150, 2, 30, lower.tail = FALSE) = (1 + 2 * 150 / 30)^-15
    expect(fUpper(150, 2, 30) / Math.pow(1 + 10, -15) - 1).toBeLessThan(1e-10);
  });
});
