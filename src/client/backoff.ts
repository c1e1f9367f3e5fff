/**
 * Full-jitter exponential backoff (the "Exponential Backoff and Jitter" scheme): the n-th delay
 * is uniform in `[0, min(cap, base · 2ⁿ))`, so a crowd of clients reconnecting after one bridge
 * dies spreads out instead of stampeding the registries.
 */

/** Backoff settings. */
export interface BackoffOptions {
  /** First ceiling in milliseconds (default 250). */
  baseMs?: number;
  /** Largest ceiling in milliseconds (default 30 000). */
  capMs?: number;
  /** Random source in [0, 1) (default Math.random); injectable for tests. */
  random?: () => number;
}

/** The full-jitter delay for attempt `attempt` (0-based), in whole milliseconds. */
export function fullJitter(attempt: number, opts: BackoffOptions = {}): number {
  const base = opts.baseMs ?? 250;
  const cap = opts.capMs ?? 30_000;
  const random = opts.random ?? Math.random;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, attempt));
  return Math.min(ceiling, Math.floor(random() * ceiling));
}

/** A stateful backoff: {@link next} grows the ceiling, {@link reset} starts over. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly opts: BackoffOptions = {}) {}

  /** The next delay in milliseconds. */
  next(): number {
    return fullJitter(this.attempt++, this.opts);
  }

  /** Back to the first attempt (call after a successful connection). */
  reset(): void {
    this.attempt = 0;
  }

  /** Attempts made since the last reset. */
  get attempts(): number {
    return this.attempt;
  }
}
