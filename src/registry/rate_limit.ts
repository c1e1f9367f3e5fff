/**
 * Token-bucket rate limiting, reusable by every role: {@link TokenBucket} for one key and
 * {@link KeyedRateLimiter} for many (e.g. per client address) with bounded memory.
 */

/** A token bucket: refills `ratePerSec` tokens per second up to `burst`. Time is passed in. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(readonly ratePerSec: number, readonly burst: number, now = Date.now()) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes `n` tokens if available; returns whether it did. */
  take(n = 1, now = Date.now()): boolean {
    this.refill(now);
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Tokens available at `now`. */
  available(now = Date.now()): number {
    this.refill(now);
    return this.tokens;
  }

  /** Milliseconds until `n` tokens will be available (0 when they already are). */
  waitMs(n = 1, now = Date.now()): number {
    this.refill(now);
    if (this.tokens >= n) return 0;
    if (this.ratePerSec <= 0) return Infinity;
    return Math.ceil(((n - this.tokens) / this.ratePerSec) * 1000);
  }

  /** True when the bucket is full (its state carries no information). */
  isFull(now = Date.now()): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    const dt = now - this.last;
    if (dt > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (dt / 1000) * this.ratePerSec);
      this.last = now;
    }
  }
}

/**
 * One bucket per key. Full buckets are dropped by {@link prune}; when `maxKeys` is reached the
 * limiter prunes, and if still full it refuses new keys (fails closed) rather than grow.
 */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(readonly ratePerSec: number, readonly burst: number, readonly maxKeys = 100_000) {}

  /** Takes one token for `key`; false when it is rate limited. */
  take(key: string, now = Date.now()): boolean {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) {
        this.prune(now);
        if (this.buckets.size >= this.maxKeys) return false;
      }
      b = new TokenBucket(this.ratePerSec, this.burst, now);
      this.buckets.set(key, b);
    }
    return b.take(1, now);
  }

  /** Drops buckets that have refilled completely. */
  prune(now = Date.now()): void {
    for (const [k, b] of this.buckets) if (b.isFull(now)) this.buckets.delete(k);
  }

  /** Number of tracked keys. */
  get size(): number {
    return this.buckets.size;
  }
}
