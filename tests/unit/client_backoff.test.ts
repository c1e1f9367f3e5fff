import { describe, expect, test } from "bun:test";
import { Backoff, fullJitter } from "../../src/client/backoff.ts";

describe("full-jitter backoff", () => {
  test("delay is within [0, min(cap, base·2^n))", () => {
    for (let n = 0; n < 40; n++) {
      const ceiling = Math.min(1_000, 10 * 2 ** n);
      expect(fullJitter(n, { baseMs: 10, capMs: 1_000, random: () => 0 })).toBe(0);
      const hi = fullJitter(n, { baseMs: 10, capMs: 1_000, random: () => 0.999999 });
      expect(hi).toBeLessThan(ceiling);
      expect(hi).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.99));
    }
  });

  test("huge attempt numbers stay at the cap, never Infinity or NaN", () => {
    const d = fullJitter(5_000, { baseMs: 250, capMs: 30_000, random: () => 0.5 });
    expect(d).toBe(15_000);
  });

  test("random delays are integers within bounds", () => {
    for (let i = 0; i < 1_000; i++) {
      const d = fullJitter(i % 12, { baseMs: 100, capMs: 2_000 });
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(2_000);
    }
  });

  test("Backoff grows the ceiling per attempt and reset starts over", () => {
    const b = new Backoff({ baseMs: 100, capMs: 10_000, random: () => 0.999 });
    const delays = [b.next(), b.next(), b.next(), b.next()];
    expect(delays).toEqual([99, 199, 399, 799]);
    expect(b.attempts).toBe(4);
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(99);
  });
});
