/**
 * A token bucket: refills `ratePerSec` tokens per second up to `burst`, starting full. Time is
 * passed in (milliseconds) so callers and tests control the clock. Shared by the registry's
 * per-address limit, the bridge's per-connection limit and the client SDK's send limit.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(readonly ratePerSec: number, readonly burst: number, now = Date.now()) {
    if (!(burst >= 1)) throw new RangeError("burst must be >= 1");
    if (!(ratePerSec >= 0)) throw new RangeError("ratePerSec must be >= 0");
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

  /** Tokens available at `now` (fractional). */
  available(now = Date.now()): number {
    this.refill(now);
    return this.tokens;
  }

  /** Milliseconds until `n` tokens are available (0 when they are; Infinity when never). */
  waitMs(n = 1, now = Date.now()): number {
    this.refill(now);
    if (this.tokens >= n) return 0;
    if (this.ratePerSec <= 0) return Infinity;
    return Math.ceil(((n - this.tokens) / this.ratePerSec) * 1000);
  }

  /** True when the bucket is full (its state carries no information and can be dropped). */
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
