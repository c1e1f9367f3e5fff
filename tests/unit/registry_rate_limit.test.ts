import { describe, expect, test } from "bun:test";
import { KeyedRateLimiter, TokenBucket } from "../../src/registry/rate_limit.ts";

describe("TokenBucket", () => {
  test("allows the burst, then refills at the rate", () => {
    const b = new TokenBucket(10, 5, 0);
    for (let i = 0; i < 5; i++) expect(b.take(1, 0)).toBe(true);
    expect(b.take(1, 0)).toBe(false);
    expect(b.waitMs(1, 0)).toBe(100);
    expect(b.take(1, 99)).toBe(false);
    expect(b.take(1, 100)).toBe(true);
    expect(b.available(10_000)).toBe(5);
  });
  test("never exceeds burst and ignores clock going backwards", () => {
    const b = new TokenBucket(1, 2, 1000);
    expect(b.available(0)).toBe(2);
    expect(b.take(3, 5000)).toBe(false);
    expect(b.isFull(5000)).toBe(true);
  });
});

describe("KeyedRateLimiter", () => {
  test("keys are independent", () => {
    const l = new KeyedRateLimiter(1, 2);
    expect(l.take("a", 0)).toBe(true);
    expect(l.take("a", 0)).toBe(true);
    expect(l.take("a", 0)).toBe(false);
    expect(l.take("b", 0)).toBe(true);
  });
  test("prunes refilled buckets and fails closed when full of active keys", () => {
    const l = new KeyedRateLimiter(1, 1, 2);
    expect(l.take("a", 0)).toBe(true);
    expect(l.take("b", 0)).toBe(true);
    expect(l.take("c", 0)).toBe(false);
    expect(l.take("c", 5000)).toBe(true);
    l.prune(10_000);
    expect(l.size).toBe(0);
  });
});
