import { describe, expect, test } from "bun:test";
import { SendLimiter, TokenBucket } from "../../src/client/rate_limit.ts";
import { MagpieError } from "../../src/core/errors.ts";

function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("TokenBucket", () => {
  test("starts full, allows a burst, then refuses", () => {
    const c = clock();
    const b = new TokenBucket(10, 3, c.now());
    expect([b.take(1, c.now()), b.take(1, c.now()), b.take(1, c.now()), b.take(1, c.now())]).toEqual([true, true, true, false]);
  });

  test("refills at ratePerSec and never above burst", () => {
    const c = clock();
    const b = new TokenBucket(10, 3, c.now());
    for (let i = 0; i < 3; i++) b.take(1, c.now());
    expect(b.waitMs(1, c.now())).toBe(100);
    c.advance(50);
    expect(b.take(1, c.now())).toBe(false);
    expect(b.waitMs(1, c.now())).toBe(50);
    c.advance(50);
    expect(b.take(1, c.now())).toBe(true);
    c.advance(60_000);
    expect(b.available(c.now())).toBe(3);
  });

  test("a zero rate never refills", () => {
    const c = clock();
    const b = new TokenBucket(0, 1, c.now());
    expect(b.take(1, c.now())).toBe(true);
    c.advance(1e9);
    expect(b.take(1, c.now())).toBe(false);
    expect(b.waitMs(1, c.now())).toBe(Infinity);
  });

  test("rejects nonsense settings", () => {
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(-1, 1)).toThrow(RangeError);
  });
});

describe("SendLimiter", () => {
  test("reject mode fails with rate_limited once the burst is spent", async () => {
    const c = clock();
    const l = new SendLimiter({ ratePerSec: 1, burst: 2, mode: "reject" }, c.now);
    await l.acquire();
    await l.acquire();
    const err = await l.acquire().catch((e) => e);
    expect(err).toBeInstanceOf(MagpieError);
    expect((err as MagpieError).code).toBe("rate_limited");
    c.advance(1_000);
    await l.acquire();
  });

  test("wait mode releases waiters in FIFO order", async () => {
    const l = new SendLimiter({ ratePerSec: 200, burst: 1 });
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4, 5].map((i) => l.acquire().then(() => order.push(i))));
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(l.queued).toBe(0);
  });

  test("cancelAll rejects queued waiters", async () => {
    const l = new SendLimiter({ ratePerSec: 0.001, burst: 1 });
    await l.acquire();
    const waiting = l.acquire();
    expect(l.queued).toBe(1);
    l.cancelAll(new MagpieError("unavailable", "closed"));
    expect(((await waiting.catch((e) => e)) as MagpieError).code).toBe("unavailable");
  });
});
