/**
 * Unacked sends. Each send keeps its client message id for life: it is transmitted when the
 * client is ready, retransmitted with the SAME id on ack timeout, on a retryable error frame and
 * after every reconnect, until an `ack` settles it once (the server dedupes on the id, so a
 * retry of a stored message is acked with its original seq). Non-retryable error frames reject.
 */
import { MagpieError, isErrorCode, type ErrorCode } from "../core/errors.ts";
import { fullJitter } from "./backoff.ts";

/** The server's acknowledgement of a send. */
export interface Ack {
  conv: string;
  seq: number;
  at: number;
  /** True when the server had already stored this client message id (a retry). */
  dup: boolean;
}

/** A send awaiting its ack. */
export interface PendingSend {
  id: string;
  conv: string;
  body: string;
  /** Transmissions so far. */
  attempts: number;
}

interface Entry extends PendingSend {
  inFlight: boolean;
  timer?: ReturnType<typeof setTimeout>;
  resolve(a: Ack): void;
  reject(e: unknown): void;
}

/** Error codes worth retrying with the same id. */
const RETRYABLE = new Set<ErrorCode>(["unavailable", "internal", "rate_limited"]);

/** Outbox settings. */
export interface OutboxOptions {
  ackTimeoutMs: number;
  /** Retransmissions allowed after the first transmission. */
  maxRetries: number;
  /** Puts the frame on the wire; false when not connected (the send then waits for {@link Outbox.flush}). */
  transmit(p: PendingSend): boolean;
}

/** The queue of unacked sends, in creation order. */
export class Outbox {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly opts: OutboxOptions) {}

  /** Queues a send and transmits it if possible; resolves with its ack. */
  add(id: string, conv: string, body: string): Promise<Ack> {
    if (this.entries.has(id)) return Promise.reject(new MagpieError("conflict", `send ${id} is already pending`));
    return new Promise<Ack>((resolve, reject) => {
      const e: Entry = { id, conv, body, attempts: 0, inFlight: false, resolve, reject };
      this.entries.set(id, e);
      this.transmit(e);
    });
  }

  /** The pending send with this id, if any. */
  get(id: string): PendingSend | undefined {
    return this.entries.get(id);
  }

  /** Number of unacked sends. */
  get size(): number {
    return this.entries.size;
  }

  /** Transmits every send not in flight (after a (re)connect and sync), oldest first. */
  flush(): void {
    for (const e of [...this.entries.values()]) if (!e.inFlight) this.transmit(e);
  }

  /** The link dropped: nothing is in flight any more; {@link flush} resends after reconnect. */
  connectionLost(): void {
    for (const e of this.entries.values()) {
      e.inFlight = false;
      if (e.timer !== undefined) clearTimeout(e.timer);
      e.timer = undefined;
    }
  }

  /** Settles the send an `ack` answers; returns it (undefined for an unknown or repeated ack). */
  ack(frame: { id: string; conv: string; seq: number; at: number; dup: boolean }): PendingSend | undefined {
    const e = this.entries.get(frame.id);
    if (!e) return undefined;
    this.settle(e);
    e.resolve({ conv: frame.conv, seq: frame.seq, at: frame.at, dup: frame.dup });
    return e;
  }

  /** Handles an `error` frame whose ref is a pending send; returns false when it is not one. */
  error(frame: { code: string; message: string; ref?: string }): boolean {
    const e = frame.ref === undefined ? undefined : this.entries.get(frame.ref);
    if (!e) return false;
    const code: ErrorCode = isErrorCode(frame.code) ? frame.code : "internal";
    if (!RETRYABLE.has(code)) {
      this.settle(e);
      e.reject(new MagpieError(code, frame.message, { ref: e.id }));
      return true;
    }
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.inFlight = true; // hold it back from flush until the retry timer fires
    e.timer = setTimeout(() => {
      e.inFlight = false;
      this.retryOrFail(e, new MagpieError(code, frame.message, { ref: e.id }));
    }, fullJitter(e.attempts, { baseMs: 100, capMs: 5_000 }) + 1);
    return true;
  }

  /** Rejects every pending send (client closed or unauthenticated). */
  failAll(err: unknown): void {
    for (const e of [...this.entries.values()]) {
      this.settle(e);
      e.reject(err);
    }
  }

  private transmit(e: Entry): void {
    if (!this.opts.transmit(e)) return; // waits for flush()
    e.attempts++;
    e.inFlight = true;
    if (e.timer !== undefined) clearTimeout(e.timer);
    e.timer = setTimeout(() => {
      e.inFlight = false;
      this.retryOrFail(e, new MagpieError("unavailable", `no ack for ${e.id} after ${e.attempts} attempt(s)`, { ref: e.id }));
    }, this.opts.ackTimeoutMs);
  }

  private retryOrFail(e: Entry, err: MagpieError): void {
    if (!this.entries.has(e.id)) return;
    if (e.attempts > this.opts.maxRetries) {
      this.settle(e);
      e.reject(err);
      return;
    }
    this.transmit(e);
  }

  private settle(e: Entry): void {
    if (e.timer !== undefined) clearTimeout(e.timer);
    this.entries.delete(e.id);
  }
}
