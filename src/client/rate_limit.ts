/**
 * Client-side rate limiting (the seed requires it): a token bucket and a FIFO limiter in front
 * of `send()`. In `wait` mode a send waits for its token, in order; in `reject` mode a send with
 * no token available fails at once with `rate_limited`.
 */
import { MagpieError } from "../core/errors.ts";

/** Rate-limit settings of a client. */
export interface RateLimitOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket size: the largest burst sent without waiting. */
  burst: number;
  /** `wait` (default) queues sends until a token is free; `reject` fails them with `rate_limited`. */
  mode?: "wait" | "reject";
}

/** A token bucket refilling `ratePerSec` up to `burst`. The clock is injectable for tests. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(readonly ratePerSec: number, readonly burst: number, private readonly now: () => number = Date.now) {
    if (!(burst >= 1)) throw new RangeError("burst must be >= 1");
    if (!(ratePerSec >= 0)) throw new RangeError("ratePerSec must be >= 0");
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token if available. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Tokens available now (fractional). */
  available(): number {
    this.refill();
    return this.tokens;
  }

  /** Milliseconds until one token is available (0 if one is; Infinity if it never will be). */
  waitMs(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    if (this.ratePerSec <= 0) return Infinity;
    return Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000);
  }

  private refill(): void {
    const t = this.now();
    const dt = t - this.last;
    if (dt > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (dt / 1000) * this.ratePerSec);
      this.last = t;
    }
  }
}

/** Hands out tokens in FIFO order; waiters are released by a timer, one per token. */
export class SendLimiter {
  private readonly bucket: TokenBucket;
  private readonly mode: "wait" | "reject";
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: RateLimitOptions, now?: () => number) {
    this.bucket = new TokenBucket(opts.ratePerSec, opts.burst, now);
    this.mode = opts.mode ?? "wait";
  }

  /** Resolves when the caller may send; rejects with `rate_limited` in reject mode. */
  acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.bucket.tryTake()) return Promise.resolve();
    if (this.mode === "reject") {
      return Promise.reject(new MagpieError("rate_limited", "client rate limit exceeded"));
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Sends waiting for a token. */
  get queued(): number {
    return this.waiters.length;
  }

  /** Rejects every waiter (client closed). */
  cancelAll(err: unknown): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  private schedule(): void {
    if (this.timer !== undefined || this.waiters.length === 0) return;
    const wait = this.bucket.waitMs();
    if (wait === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.waiters.length > 0 && this.bucket.tryTake()) this.waiters.shift()!.resolve();
      this.schedule();
    }, wait);
  }
}
