/**
 * Per-key rate limiting ({@link KeyedRateLimiter}, e.g. per client address) with bounded memory,
 * on the shared {@link TokenBucket} of src/core/token_bucket.ts.
 */
import { TokenBucket } from "../core/token_bucket.ts";

export { TokenBucket };

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
