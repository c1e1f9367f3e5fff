/**
 * One WebSocket to one bridge: JSON frame codec, request/response correlation by `ref`, a
 * heartbeat (ping every interval; no frame for two intervals → the link is dead) and a single
 * `onClose` however the link ends (server close, network error, heartbeat, local close).
 */
import { MagpieError, isErrorCode } from "../core/errors.ts";
import type { ServerFrame } from "../protocol/frames.ts";

/** Minimal WebSocket constructor the SDK needs (the global one by default). */
export type WebSocketCtor = new (url: string) => WebSocket;

/** Frames the client sends (the wire form, see docs/protocol.md). */
export type OutFrame =
  | { t: "send"; id: string; conv: string; body: string }
  | { t: "sync"; ref: string; cursors: Record<string, number>; limit?: number }
  | { t: "history"; ref: string; conv: string; after?: number; before?: number; limit?: number }
  | { t: "receipt"; conv: string; seq: number; kind: "delivered" | "read" }
  | { t: "ping"; ref?: string }
  | { t: "recall"; ref: string; conv: string; seq: number }
  | { t: "delete"; ref: string; conv: string; seq: number }
  | { t: "typing"; conv: string }
  | { t: "presence_sub"; ref: string; users: string[] }
  | { t: "convs"; ref: string }
  | { t: "search"; ref: string; q: string; conv?: string; sender?: string; since?: number; until?: number; limit?: number; cursor?: string };

/** What a connection reports to its owner. */
export interface ConnectionHandlers {
  /** Every frame not consumed as a response to {@link Connection.request}. */
  onFrame(frame: ServerFrame): void;
  /** Called exactly once, when the link is gone. */
  onClose(code: number, reason: string): void;
}

let refCounter = 0;
/** A fresh request ref. */
export const nextRef = (): string => `r${(++refCounter).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** One live (or opening) WebSocket. */
export class Connection {
  private readonly ws: WebSocket;
  private closed = false;
  private lastFrameAt = Date.now();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private readonly pending = new Map<string, { resolve: (f: ServerFrame) => void; reject: (e: unknown) => void; timer: ReturnType<typeof setTimeout> }>();

  constructor(url: string, Impl: WebSocketCtor, private readonly handlers: ConnectionHandlers) {
    this.ws = new Impl(url);
    this.ws.onmessage = (ev) => this.receive(ev.data);
    this.ws.onclose = (ev) => this.finish(ev.code, ev.reason || "closed");
    this.ws.onerror = () => {
      // A close event follows an error; if the socket never opened some runtimes skip it.
      if (this.ws.readyState === 3 /* CLOSED */) this.finish(1006, "socket error");
    };
  }

  /** True while the link can carry frames. */
  get open(): boolean {
    return !this.closed && this.ws.readyState === 1;
  }

  /** Sends a frame; false when the link is not open. */
  send(frame: OutFrame): boolean {
    if (!this.open) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Sends a frame carrying `ref` and resolves with the frame answering it; an `error` frame
   * with that ref rejects with its code; a timeout or the link's end rejects with `unavailable`.
   */
  request(frame: OutFrame & { ref: string }, timeoutMs: number): Promise<ServerFrame> {
    return new Promise((resolve, reject) => {
      if (!this.send(frame)) return reject(new MagpieError("unavailable", "not connected"));
      const timer = setTimeout(() => {
        this.pending.delete(frame.ref);
        reject(new MagpieError("unavailable", `${frame.t} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(frame.ref, { resolve, reject, timer });
    });
  }

  /** Starts the heartbeat: ping every `intervalMs`; silence for 2 × interval drops the link. */
  startHeartbeat(intervalMs: number): void {
    if (this.heartbeat !== undefined || !(intervalMs > 0)) return;
    this.lastFrameAt = Date.now();
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastFrameAt > 2 * intervalMs) this.close(4000, "heartbeat timeout");
      else this.send({ t: "ping" });
    }, intervalMs);
  }

  /** Closes the link (idempotent); `onClose` runs at once with `code`. */
  close(code = 1000, reason = "client close"): void {
    try {
      this.ws.close(code >= 4000 || code === 1000 ? code : 1000, reason);
    } catch {
      // already closing
    }
    this.finish(code, reason);
  }

  private receive(data: unknown): void {
    if (this.closed) return;
    this.lastFrameAt = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data as ArrayBuffer)) as ServerFrame;
    } catch {
      return; // not ours to answer; the server never sends non-JSON
    }
    if (typeof frame !== "object" || frame === null) return;
    const ref = (frame as { ref?: unknown }).ref;
    const p = typeof ref === "string" ? this.pending.get(ref) : undefined;
    if (p) {
      this.pending.delete(ref as string);
      clearTimeout(p.timer);
      if (frame.t === "error") p.reject(new MagpieError(isErrorCode(frame.code) ? frame.code : "internal", frame.message));
      else p.resolve(frame);
      return;
    }
    this.handlers.onFrame(frame);
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.ws.onmessage = this.ws.onclose = this.ws.onerror = null;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new MagpieError("unavailable", "connection closed"));
    }
    this.pending.clear();
    this.handlers.onClose(code, reason);
  }
}
