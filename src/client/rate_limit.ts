/**
 * Client-side rate limiting (the seed requires it): a token bucket and a FIFO limiter in front
 * of `send()`. In `wait` mode a send waits for its token, in order; in `reject` mode a send with
 * no token available fails at once with `rate_limited`.
 */
import { MagpieError } from "../core/errors.ts";
import { TokenBucket } from "../core/token_bucket.ts";

export { TokenBucket };

/** Rate-limit settings of a client. */
export interface RateLimitOptions {
  /** Tokens added per second. */
  ratePerSec: number;
  /** Bucket size: the largest burst sent without waiting. */
  burst: number;
  /** `wait` (default) queues sends until a token is free; `reject` fails them with `rate_limited`. */
  mode?: "wait" | "reject";
}

/** Hands out tokens in FIFO order; waiters are released by a timer, one per token. */
export class SendLimiter {
  private readonly bucket: TokenBucket;
  private readonly now: () => number;
  private readonly mode: "wait" | "reject";
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: RateLimitOptions, now: () => number = Date.now) {
    this.now = now;
    this.bucket = new TokenBucket(opts.ratePerSec, opts.burst, now());
    this.mode = opts.mode ?? "wait";
  }

  /** Resolves when the caller may send; rejects with `rate_limited` in reject mode. */
  acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.bucket.take(1, this.now())) return Promise.resolve();
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
    const wait = this.bucket.waitMs(1, this.now());
    if (wait === Infinity) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      while (this.waiters.length > 0 && this.bucket.take(1, this.now())) this.waiters.shift()!.resolve();
      this.schedule();
    }, wait);
  }
}
